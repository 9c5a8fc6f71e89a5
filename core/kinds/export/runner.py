"""Runner of `export`: merge (when given an adapter), convert to an F16 GGUF file with llama.cpp's
own converter, prove token parity, quantize, write Modelfiles, checksums and export.json.

Everything is written in a staging folder beside the output and published whole: a killed
export leaves the previous complete folder, or none.
"""

import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.context import RunContext
from core.digest import file_sha256
from core.errors import JobFailure
from core.gguf.converter import ensure_converter, llama_cpp_version
from core.gguf.modelfile import modelfile
from core.gguf.parity import check_parity
from core.gguf.pretokenizer import declared_pre_tokenizer
from core.gguf.process import ToolFailed, run_tool
from core.gguf.quants import CONVERTED, gguf_name
from core.kinds.export.files import LOG, REPORT, SUMS, TOKENIZER_DIR
from core.kinds.export.spec import ExportSpec, export_name
from core.kinds.validate_reasoning.spec import DEFAULT_MULTI_TURN, DEFAULT_SINGLE
from core.prompts import TRAINED_PROMPT_FILE, trained_system_prompt
from core.publish import publishing_dir
from core.specs.paths import relative, resolve_field
from core.think import with_think

MERGED_DIR = ".merged"  # the adapter merged into the base, removed before publishing
UNKNOWN_PRE_TOKENIZER = "BPE pre-tokenizer was not recognized"


def run(spec: ExportSpec, ctx: RunContext) -> dict[str, Any]:
    started = time.monotonic()
    workspace = ctx.workspace
    model = resolve_field(workspace, "model_path", spec.model_path, read_only=True)
    adapter = (
        resolve_field(workspace, "adapter_path", spec.adapter_path, read_only=True)
        if spec.adapter_path
        else None
    )
    output = resolve_field(workspace, "output_dir", spec.target_dir())
    ctx.set_stage("setup", "finding llama.cpp's converter (fetched once per version)")
    converter = ensure_converter()
    system = spec.system_prompt or trained_system_prompt(model, adapter)
    stem = export_name(spec.model_path, spec.adapter_path)
    with publishing_dir(output, kind="export") as staging:
        lora = None
        if adapter is not None and spec.write_lora():  # first: an explicit ask may be refused
            lora = _lora(spec, converter, model, adapter, staging / f"{stem}-lora-F16.gguf", ctx)
        source = _merge(model, adapter, staging / MERGED_DIR, system, ctx) if adapter else model
        report = _gguf_files(spec, converter, source, staging, stem, system, ctx)
        shutil.rmtree(staging / MERGED_DIR, ignore_errors=True)
        report = {
            "output_dir": relative(workspace, output),
            "source": _source(spec, model, adapter),
            **report,
            "lora": lora,
            "llama_cpp_python": llama_cpp_version(),
            "duration_s": round(time.monotonic() - started, 1),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (staging / REPORT).write_text(json.dumps(report, indent=2) + "\n")
        known = {entry["file"]: entry["sha256"] for entry in report["files"]}
        if lora and "file" in lora:
            known[lora["file"]] = lora["sha256"]
        _write_sums(staging, known)
    ctx.event(
        f"exported {len(report['files'])} GGUF file(s) to {report['output_dir']}", data=report
    )
    return report


def _gguf_files(spec, converter: Path, source: Path, staging: Path, stem: str, system: str, ctx):
    """Convert, check token parity, quantize, write the Modelfiles: what the report says."""
    log = staging / LOG
    tokenizer = _tokenizer(source, staging / TOKENIZER_DIR, system)
    converted = staging / gguf_name(stem, CONVERTED)
    pre_tokenizer = _convert(converter, source, converted, log, ctx)
    ctx.set_stage("parity", "comparing llama.cpp's tokens with the Hugging Face tokenizer's")
    parity = _parity(converted, tokenizer, system)
    files = _quantize(spec, converted, stem, log, ctx)
    for entry in files if spec.modelfiles else []:
        entry["modelfile"] = f"Modelfile.{entry['quant']}"
        text = modelfile(entry["file"], system, ctx_size=spec.ctx_size)
        (staging / entry["modelfile"]).write_text(text)
    return {"files": files, "pre_tokenizer": pre_tokenizer, "token_parity": parity}


def _merge(model: Path, adapter: Path, target: Path, system: str, ctx: RunContext) -> Path:
    """The adapter merged into the base weights (what llama.cpp's converter reads)."""
    ctx.set_stage("merge", "merging the adapter into the base model")
    from peft import PeftModel
    from transformers import Mistral3ForConditionalGeneration

    from core.training.export import save_merged
    from core.training.model import load_pretrained_tokenizer

    base = Mistral3ForConditionalGeneration.from_pretrained(model, dtype="auto")
    peft_model = PeftModel.from_pretrained(base, adapter)
    save_merged(peft_model, load_pretrained_tokenizer(adapter), target, model, system)
    return target


def _tokenizer(source: Path, target: Path, system: str):
    """The model's tokenizer, with the chat template it was trained with, kept beside the
    files with the system prompt (validation renders its prompts with them)."""
    from core.chat_template import DEFAULT_TEMPLATE, load_template
    from core.training.model import load_pretrained_tokenizer

    tokenizer = load_pretrained_tokenizer(source)
    tokenizer.chat_template = tokenizer.chat_template or load_template(DEFAULT_TEMPLATE)
    tokenizer.save_pretrained(target)
    (target / TRAINED_PROMPT_FILE).write_text(system + "\n")
    return tokenizer


def _convert(converter: Path, source: Path, target: Path, log: Path, ctx: RunContext) -> str | None:
    """The F16 GGUF file; the pre-tokenizer declared for the converter (None: it knew it)."""
    ctx.set_stage("convert", f"converting {source.name} to {target.name}")
    pre = _pre_tokenizer(source)
    args = ["convert", str(converter), str(source), str(target)]
    try:
        run_tool(
            args + (["--pre-tokenizer", pre] if pre else []), log=log, ctx=ctx, what="conversion"
        )
    except ToolFailed as exc:
        if UNKNOWN_PRE_TOKENIZER in exc.tail:
            raise JobFailure(
                "tokenizer_mismatch",
                "llama.cpp's converter does not know the model's pre-tokenizer, so llama.cpp "
                "would split text differently from the tokenizer the model was trained with",
                hint="Export a model whose tokenizer llama.cpp supports: Ministral 3's Tekken "
                "tokenizer is one, and so is the GPT-2-style one `c64ft make-tiny-model` builds.",
                param="model_path",
            ) from exc
        raise
    ctx.event(
        f"{target.name}: {_size(target)}", data={"file": target.name, "bytes": _bytes(target)}
    )
    return pre


def _pre_tokenizer(model: Path) -> str | None:
    """The pre-tokenizer to declare to llama.cpp's converter (core/gguf/pretokenizer.py)."""
    return declared_pre_tokenizer(json.loads((model / "tokenizer.json").read_text()))


def _parity(converted: Path, tokenizer, system: str) -> dict[str, int]:
    """Token parity on the prompts validation renders: one question, and a follow-up."""
    import llama_cpp

    single, multi = DEFAULT_SINGLE[0], DEFAULT_MULTI_TURN[0]
    reply = with_think("The SID chip is at $D400.", "Its volume is the low nibble of $D418.")
    conversations = {
        "single-turn": [{"role": "user", "content": single.text}],
        "multi-turn": [
            {"role": "user", "content": multi.turns[0]},
            {"role": "assistant", "content": reply},
            {"role": "user", "content": multi.turns[1]},
        ],
    }
    texts = {
        name: tokenizer.apply_chat_template(
            [{"role": "system", "content": system}, *messages],
            tokenize=False,
            add_generation_prompt=True,
        )
        for name, messages in conversations.items()
    }
    llama = llama_cpp.Llama(model_path=str(converted), vocab_only=True, verbose=False)
    try:
        return check_parity(llama, tokenizer, texts)
    finally:
        llama.close()


def _quantize(spec: ExportSpec, converted: Path, stem: str, log: Path, ctx: RunContext) -> list:
    """One file per quant, quantized from the F16 one (kept only when asked for)."""
    files = []
    for done, quant in enumerate(spec.quants):
        target = converted.with_name(gguf_name(stem, quant))
        if quant != CONVERTED:
            ctx.set_stage("quantize", f"quantizing to {quant}")
            args = ["quantize", str(converted), str(target), quant]
            run_tool(args, log=log, ctx=ctx, what=f"quantization to {quant}")
        entry = {"quant": quant, "file": target.name, "bytes": _bytes(target)}
        entry["sha256"] = file_sha256(target)
        files.append(entry)
        ctx.event(f"{target.name}: {_size(target)}", data=entry)
        ctx.progress((done + 1) / len(spec.quants), step=done + 1, total=len(spec.quants))
    if CONVERTED not in spec.quants:
        converted.unlink()
    return files


def _lora(spec: ExportSpec, converter: Path, model: Path, adapter: Path, target: Path, ctx):
    """The adapter alone as a GGUF LoRA file, for llama.cpp's `--lora` on the base model.

    llama.cpp's LoRA converter does not handle every architecture (for Mistral3's it writes the
    base model instead): a file that is not an adapter is dropped, and fails the job only when
    the spec asked for it.
    """
    ctx.set_stage("lora", "converting the adapter to a GGUF LoRA file")
    args = ["lora", str(converter), str(model), str(adapter), str(target)]
    if pre := _pre_tokenizer(model):  # the converter reads the base model's vocabulary too
        args += ["--pre-tokenizer", pre]
    run_tool(args, log=target.parent / LOG, ctx=ctx, what="LoRA conversion")
    if _gguf_type(target) == "adapter":
        return {"file": target.name, "bytes": _bytes(target), "sha256": file_sha256(target)}
    target.unlink()
    message = (
        "llama.cpp's LoRA converter wrote a whole model, not an adapter, for this architecture"
    )
    if spec.lora_gguf:
        hint = "Leave lora_gguf unset: the merged GGUF files carry the adapter."
        raise JobFailure("lora_unsupported", message, hint=hint, param="lora_gguf")
    ctx.event(f"no GGUF LoRA file: {message}; the merged files carry it", level="warning")
    return {"skipped": message}


def _gguf_type(path: Path) -> str:
    """A GGUF file's `general.type`: model or adapter."""
    from gguf import GGUFReader

    return str(GGUFReader(path).fields["general.type"].contents())


def _source(spec: ExportSpec, model: Path, adapter: Path | None) -> dict[str, Any]:
    """What was exported, by path and by the sha256 of its weights."""
    weights = {}
    for folder in [model, *([adapter] if adapter else [])]:
        for path in sorted(folder.glob("*.safetensors")):
            weights[f"{folder.name}/{path.name}"] = file_sha256(path)
    return {"model_path": spec.model_path, "adapter_path": spec.adapter_path, "sha256": weights}


def _write_sums(folder: Path, known: dict[str, str]) -> None:
    """SHA256SUMS in `sha256sum -c`'s format, of every file but itself (`known`: hashes
    already taken, by name: a GGUF file is read once)."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        lines.append(f"{known.get(name) or file_sha256(path)}  {name}\n")
    (folder / SUMS).write_text("".join(lines))


def _bytes(path: Path) -> int:
    return path.stat().st_size


def _size(path: Path) -> str:
    return f"{_bytes(path) / 1e6:,.1f} MB"
