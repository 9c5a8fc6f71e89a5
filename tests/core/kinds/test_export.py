"""The export runner on the real tiny model: llama.cpp's converter, quantization, token parity,
Modelfiles, checksums, and a folder that is published whole or not at all."""

import json
import shutil
import subprocess

import pytest

from core.errors import JobFailure
from core.kinds.export import runner
from core.kinds.export.spec import ExportSpec
from core.publish import MARKER
from tests.conftest import copy_workspace
from tests.core.gguf.ollama import parse_modelfile
from tests.recording import RecordingContext

pytestmark = pytest.mark.slow  # converts and quantizes with llama.cpp

MODEL = "models/tiny-ministral3"
OUT = "models/tiny-ministral3-gguf"


def export(workspace, ctx=None, **fields):
    ctx = ctx or RecordingContext(workspace)
    spec = ExportSpec.model_validate({"kind": "export", "model_path": MODEL, **fields})
    return runner.run(spec, ctx), ctx


@pytest.fixture
def workspace(tiny_model, tmp_path):
    return copy_workspace(tiny_model, tmp_path / "ws" / MODEL).parents[1]


@pytest.fixture(scope="module")
def exported(tiny_model, tmp_path_factory):
    """One export of F16, Q8_0 and Q4_K_M, shared by the tests that only read it."""
    workspace = tmp_path_factory.mktemp("ws")
    copy_workspace(tiny_model, workspace / MODEL)
    report, ctx = export(workspace, quants=["F16", "Q8_0", "Q4_K_M"])
    return workspace, report, ctx


def test_every_file_is_written_and_loads_in_llama_cpp(exported):
    import llama_cpp

    workspace, report, _ = exported
    out = workspace / OUT
    assert [f["quant"] for f in report["files"]] == ["F16", "Q8_0", "Q4_K_M"]
    for entry in report["files"]:
        path = out / entry["file"]
        assert path.stat().st_size == entry["bytes"] and entry["file"].startswith(
            "tiny-ministral3-"
        )
        llama = llama_cpp.Llama(model_path=str(path), n_ctx=256, verbose=False)
        prompt = llama.tokenize(b"<s>[INST]What is the SID?[/INST]", add_bos=False, special=True)
        assert len(list(zip(range(4), llama.generate(prompt, temp=0.0), strict=False))) == 4
        llama.close()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MARKER, "SHA256SUMS", "export.json", "export.log", "tokenizer"]
        + [f["file"] for f in report["files"]]
        + [f"Modelfile.{f['quant']}" for f in report["files"]]
    )


def test_the_checksums_verify_and_export_json_is_complete(exported):
    workspace, report, _ = exported
    out = workspace / OUT
    check = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=out)
    assert check.returncode == 0
    listed = {line.split("  ", 1)[1] for line in (out / "SHA256SUMS").read_text().splitlines()}
    assert {"export.json", "tiny-ministral3-Q8_0.gguf", "tokenizer/tokenizer.json"} <= listed
    assert json.loads((out / "export.json").read_text()) == report
    assert report["source"]["model_path"] == MODEL and report["source"]["adapter_path"] is None
    assert list(report["source"]["sha256"]) == ["tiny-ministral3/model.safetensors"]
    assert report["pre_tokenizer"] == "gpt-2"  # declared: the tiny vocabulary's hash is new
    assert report["token_parity"]["multi-turn"] > report["token_parity"]["single-turn"] > 100
    assert report["llama_cpp_python"] == "0.3.36" and report["lora"] is None
    assert report["duration_s"] > 0 and report["created_at"].endswith("+00:00")
    assert json.loads((out / MARKER).read_text())["kind"] == "export"


def test_progress_and_events_name_each_file_and_its_size(exported):
    _, report, ctx = exported
    assert ctx.fractions[-1] == 1.0 and ctx.fractions == sorted(ctx.fractions)  # (throttled)
    sized = [data for _, _, _, data in ctx.events if data and "bytes" in data]
    assert [d.get("quant", d.get("file")) for d in sized] == [
        "tiny-ministral3-F16.gguf",  # the conversion
        "F16",
        "Q8_0",
        "Q4_K_M",
    ]
    stages = [stage for stage, *_ in ctx.events]
    assert stages.index("convert") < stages.index("parity") < stages.index("quantize")


def test_each_modelfile_names_its_file_and_the_trained_system_prompt(exported):
    workspace, _, _ = exported
    out = workspace / OUT
    system = (out / "tokenizer/c64ft_system_prompt.txt").read_text().removesuffix("\n")
    instructions = parse_modelfile((out / "Modelfile.Q8_0").read_text())
    assert ("from", "./tiny-ministral3-Q8_0.gguf") in instructions
    assert ("system", system) in instructions and "Commodore 64" in system


def test_a_failure_midway_keeps_the_previous_export_whole(exported, tmp_path, monkeypatch):
    workspace = tmp_path / "ws"
    shutil.copytree(exported[0], workspace)
    before = (workspace / OUT / "export.json").read_text()

    def quantize_fails(args, **kwargs):
        if args[0] == "quantize":
            raise runner.ToolFailed("quantization to Q8_0", 1, "out of disk")
        return real(args, **kwargs)

    real = runner.run_tool
    monkeypatch.setattr(runner, "run_tool", quantize_fails)
    with pytest.raises(JobFailure, match="quantization to Q8_0 failed"):
        export(workspace, quants=["Q8_0"])
    assert (workspace / OUT / "export.json").read_text() == before
    assert sorted(p.name for p in (workspace / "models").iterdir()) == [
        "tiny-ministral3",
        "tiny-ministral3-gguf",
    ]  # no staging folder left behind


def test_an_unknown_pre_tokenizer_is_a_tokenizer_mismatch(workspace):
    tokenizer = workspace / MODEL / "tokenizer.json"
    parsed = json.loads(tokenizer.read_text())
    parsed["pre_tokenizer"] = {  # GPT-2's, but with a space before every text: unknown
        "type": "ByteLevel",
        "add_prefix_space": True,
        "trim_offsets": True,
        "use_regex": True,
    }
    tokenizer.write_text(json.dumps(parsed))
    with pytest.raises(JobFailure) as caught:
        export(workspace, quants=["F16"])
    assert caught.value.type == "tokenizer_mismatch" and caught.value.param == "model_path"
    assert not (workspace / OUT).exists()


def test_a_wrongly_declared_pre_tokenizer_fails_token_parity(workspace, monkeypatch):
    monkeypatch.setattr(runner, "declared_pre_tokenizer", lambda _: "tekken")  # it is GPT-2's
    with pytest.raises(JobFailure) as caught:
        export(workspace, quants=["F16"])
    assert caught.value.type == "tokenizer_mismatch"
    assert "from position" in caught.value.message and "(llama.cpp)" in caught.value.message
    assert not (workspace / OUT).exists()


def make_adapter(workspace, folder: str) -> None:
    """A LoRA adapter with non-zero weights on the tiny model, as train saves one."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoTokenizer, Mistral3ForConditionalGeneration

    from core.kinds.train.spec import LORA_TARGETS

    base = Mistral3ForConditionalGeneration.from_pretrained(workspace / MODEL)
    config = LoraConfig(r=4, target_modules=LORA_TARGETS["language_qkvo"], init_lora_weights=False)
    get_peft_model(base, config).save_pretrained(workspace / folder)
    AutoTokenizer.from_pretrained(workspace / MODEL).save_pretrained(workspace / folder)


def test_an_adapter_is_merged_and_a_lora_file_llama_cpp_cannot_make_is_left_out(workspace):
    make_adapter(workspace, "models/ft")
    report, ctx = export(workspace, adapter_path="models/ft", quants=["Q8_0"])
    assert report["output_dir"] == "models/ft-gguf"
    assert [f["file"] for f in report["files"]] == ["ft-Q8_0.gguf"]
    assert set(report["source"]["sha256"]) == {
        "tiny-ministral3/model.safetensors",
        "ft/adapter_model.safetensors",
    }
    # llama.cpp's LoRA converter writes Mistral3's base model, not the adapter: no such file
    assert "skipped" in report["lora"]
    assert any(level == "warning" and "no GGUF LoRA" in m for _, level, m, _ in ctx.events)
    assert not list((workspace / "models/ft-gguf").glob("*lora*"))
    assert not (workspace / "models/ft-gguf/.merged").exists()
    with pytest.raises(JobFailure) as caught:  # asked for by name: refused, before any work
        export(workspace, adapter_path="models/ft", lora_gguf=True, output_dir="models/x")
    assert (caught.value.type, caught.value.param) == ("lora_unsupported", "lora_gguf")
    assert not (workspace / "models/x").exists()
