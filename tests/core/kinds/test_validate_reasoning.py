"""The validate_reasoning runner on the real tiny model, in this process, on the CPU, and on
scripted generators of two quants."""

import csv
import json

import pytest
from pydantic import ValidationError

from core.chat_template import DEFAULT_TEMPLATE, load_template
from core.errors import JobCancelled, JobFailure
from core.kinds.validate_reasoning import runner
from core.kinds.validate_reasoning.runner import run
from core.kinds.validate_reasoning.spec import Thresholds, ValidateReasoningSpec
from core.prompts import trained_system_prompt
from core.reasoning.generate import Turn, render
from tests.conftest import copy_workspace
from tests.recording import RecordingContext

BASE = {
    "kind": "validate_reasoning",
    "runtime": "transformers",
    "model_path": "models/tiny-ministral3",
    "allow_cpu": True,
    "max_new_tokens": 8,
    "output_dir": "results/check",
}


@pytest.fixture
def workspace(tiny_model, tmp_path):
    return copy_workspace(tiny_model, tmp_path / "ws" / "models" / "tiny-ministral3").parents[1]


def validate(workspace, ctx=None, **fields):
    ctx = ctx or RecordingContext(workspace)
    return run(ValidateReasoningSpec.model_validate({**BASE, **fields}), ctx), ctx


def failure(workspace, **fields) -> JobFailure:
    with pytest.raises(JobFailure) as caught:
        validate(workspace, **fields)
    return caught.value


@pytest.mark.slow  # generates with the tiny model
def test_the_untrained_model_fails_the_contract_with_every_file_written(workspace):
    error = failure(workspace)
    assert (
        error.type == "reasoning_contract_failed"
        and "hf: single_think_tag_rate 0.0 < 0.95" in error.message
    )
    report = error.result
    assert report["verdict"] == "FAIL" and report["passed"] is False
    assert list(report["quants"]) == ["hf"] and not report["quants"]["hf"]["passed"]
    assert report["files"]["summary"] == "results/check/summary.md"
    out = workspace / "results/check"
    assert json.loads((out / "report.json").read_text()) == report
    runs = list(csv.DictReader((out / "runs.csv").open()))
    assert [(r["run_type"], r["quant"], r["seed"], r["log_path"]) for r in runs] == [
        ("single", "hf", "11", "raw/hf__single__vic_ii_border__seed11.json"),
        ("multi", "hf", "11", "raw/hf__multi__sid_voice_volume__seed11.json"),
        ("single", "hf", "22", "raw/hf__single__vic_ii_border__seed22.json"),
        ("multi", "hf", "22", "raw/hf__multi__sid_voice_volume__seed22.json"),
        ("single", "hf", "33", "raw/hf__single__vic_ii_border__seed33.json"),
        ("multi", "hf", "33", "raw/hf__multi__sid_voice_volume__seed33.json"),
    ]
    assert all((out / r["log_path"]).is_file() for r in runs)
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert list(rows[0]) == [
        "run_type",
        "quant",
        "prompt_id",
        "seed",
        "think_open_count",
        "think_close_count",
        "has_think_tag",
        "balanced_think_tags",
        "has_final_after_think",
        "retained",
    ]
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Reasoning validation: FAIL")
    assert "| single_think_tag_rate | 0.95 | 0.0 **FAIL** |" in summary
    assert len(list((out / "raw").iterdir())) == 6


@pytest.mark.slow  # generates with the tiny model
def test_a_conversation_feeds_the_models_own_reply_back_before_the_follow_up(workspace):
    failure(workspace, seeds=[5])
    transcript = json.loads(
        (workspace / "results/check/raw/hf__multi__sid_voice_volume__seed5.json").read_text()
    )
    messages, turns = transcript["messages"], transcript["turns"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant"]
    assert messages[0]["content"] == trained_system_prompt(workspace / "models/tiny-ministral3")
    assert messages[2]["content"] == turns[0]["reply"]
    # the second prompt is the first rendering plus the reply and the follow-up: same bytes
    assert turns[1]["prompt"].startswith(turns[0]["prompt"] + turns[0]["reply"] + "</s>[INST]")
    assert turns[1]["prompt"].endswith("[/INST]")
    assert all(t["new_tokens"] <= 8 and t["stop"] in ("eos", "max_new_tokens") for t in turns)


@pytest.mark.slow  # generates with the tiny model
def test_the_template_is_the_models_own_else_the_projects(workspace):
    report = failure(workspace).result
    assert report["model"]["chat_template"] == "the project's Mistral-3 template"
    template = workspace / "template.jinja"
    template.write_text(load_template(DEFAULT_TEMPLATE))
    report = failure(workspace, chat_template_path="template.jinja").result
    assert report["model"]["chat_template"] == "template.jinja"


@pytest.mark.slow  # generates with the tiny model
def test_replies_are_cut_where_the_context_window_is_full(workspace):
    report = failure(workspace, ctx_size=300, max_new_tokens=400, seeds=[1]).result
    stops = report["stops"]["hf"]
    assert set(stops) <= {"eos", "ctx_size"} and stops.get("ctx_size")
    raw = workspace / "results/check/raw/hf__multi__sid_voice_volume__seed1.json"
    first, second = json.loads(raw.read_text())["turns"]
    assert first["prompt_tokens"] + first["new_tokens"] <= 300
    assert second["prompt_tokens"] > 300 and second["new_tokens"] == 0  # no room left at all
    assert second["stop"] == "ctx_size" and second["reply"] == ""


@pytest.mark.slow  # generates with the tiny model
def test_thresholds_decide_the_verdict(workspace):
    zero = {
        name: 0.0
        for name in (
            "single_think_tag_rate",
            "single_balanced_tag_rate",
            "single_final_after_think_rate",
            "multi_turn_retention_rate",
        )
    }
    report, ctx = validate(workspace, thresholds=zero, seeds=[3])
    assert report["verdict"] == "PASS" and report["thresholds"] == zero
    assert ctx.fractions[-1] == 1.0 and ctx.events[-1][2].startswith("PASS")


@pytest.mark.slow  # generates with the tiny model
def test_a_cancel_stops_generation(workspace):
    ctx = RecordingContext(workspace)
    ctx.cancel_requested.set()
    with pytest.raises(JobCancelled):
        validate(workspace, ctx)
    assert not (workspace / "results/check").exists()


class ScriptedGenerator:
    """A runtime that answers every turn with the same reply, rendering the prompt as any does."""

    def __init__(self, quant: str, reply: str, tokenizer) -> None:
        self.quant, self.reply, self.tokenizer = quant, reply, tokenizer

    def generate_turn(self, batch, limits, ctx) -> None:
        for conversation in batch:
            conversation.ask_next()
            prompt = render(self.tokenizer, conversation.messages)
            conversation.record(Turn(prompt, self.reply, len(prompt), 3, "eos", 0.0))

    def close(self) -> None:
        pass


GOOD = "[THINK]The border colour is a VIC-II register.[/THINK]POKE 53280,0 makes it black."


def test_each_generator_runs_every_conversation_and_is_judged_on_its_own(workspace, monkeypatch):
    def generators(_spec, tokenizer, *_):
        replies = {"Q8_0": GOOD, "F16": "The border is at $D020."}  # F16 drops the THINK block
        scripted = [ScriptedGenerator(quant, reply, tokenizer) for quant, reply in replies.items()]
        return scripted, {"name": "scripted"}

    monkeypatch.setattr(runner, "_hf_generators", generators)
    report = failure(workspace, seeds=[11, 22]).result
    assert report["verdict"] == "FAIL" and list(report["quants"]) == ["Q8_0", "F16"]
    assert report["quants"]["Q8_0"]["passed"] and not report["quants"]["F16"]["passed"]
    assert report["failing"][0] == "F16: single_think_tag_rate 0.0 < 0.95"
    assert report["thresholds"] == Thresholds().model_dump()
    out = workspace / "results/check"
    runs = list(csv.DictReader((out / "runs.csv").open()))
    assert [(r["quant"], r["run_type"], r["seed"], r["prompt_id"]) for r in runs[:4]] == [
        ("Q8_0", "single", "11", "vic_ii_border"),
        ("Q8_0", "multi", "11", "sid_voice_volume"),
        ("Q8_0", "single", "22", "vic_ii_border"),
        ("Q8_0", "multi", "22", "sid_voice_volume"),
    ]
    assert [(r["quant"], r["run_type"]) for r in runs[4:6]] == [("F16", "single"), ("F16", "multi")]
    transcript = json.loads((out / runs[1]["log_path"]).read_text())
    assert transcript["turns"][1]["prompt"].endswith("[/INST]")  # the template, rendered
    assert "| metric | threshold | Q8_0 | F16 |" in (out / "summary.md").read_text()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"seeds": []}, "at least 1 item"),
        ({"seeds": [1, 1]}, "seeds must be distinct"),
        ({"single_prompts": []}, "at least 1 item"),  # a category without runs can only fail
        ({"multi_turn_prompts": []}, "at least 1 item"),
        ({"quants": ["Q8_0", "Q8_0"]}, "quants must be distinct"),
        ({"quants": ["Q3_X"]}, "Input should be 'F16'"),
        ({"multi_turn_prompts": [{"id": "a", "turns": ["only one"]}]}, "at least 2 items"),
        ({"single_prompts": [{"id": "sid_voice_volume", "text": "x"}]}, "must be distinct"),
        ({"thresholds": {"single_balanced_tag_rate": 1.5}}, "less than or equal to 1"),
        ({"max_new_tokens": 0}, "greater than or equal to 1"),
        ({"model_path": "/abs/model"}, "must lie inside the workspace"),
    ],
)
def test_bad_specs_are_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        ValidateReasoningSpec.model_validate({**BASE, **fields})


@pytest.fixture
def exported(workspace):
    """The untrained tiny model exported to F16 and Q8_0 GGUF files (the export kind)."""
    from core.kinds.export.runner import run as export
    from core.kinds.export.spec import ExportSpec

    spec = {"kind": "export", "model_path": "models/tiny-ministral3", "quants": ["F16", "Q8_0"]}
    export(ExportSpec.model_validate(spec), RecordingContext(workspace))
    return workspace


@pytest.mark.slow  # exports, then generates under llama.cpp
def test_under_llama_cpp_each_quant_is_a_set_of_runs_of_its_own(exported):
    llama = {**BASE, "runtime": "llama_cpp"}
    ctx = RecordingContext(exported)
    with pytest.raises(JobFailure) as caught:
        run(ValidateReasoningSpec.model_validate(llama), ctx)
    report = caught.value.result
    assert caught.value.type == "reasoning_contract_failed" and report["verdict"] == "FAIL"
    assert list(report["quants"]) == ["Q8_0", "F16"]  # the spec's order
    assert report["model"]["gguf_dir"] == "models/tiny-ministral3-gguf"
    assert report["device"]["name"] == "llama.cpp" and report["device"]["quants"] == ["Q8_0", "F16"]
    out = exported / "results/check"
    runs = list(csv.DictReader((out / "runs.csv").open()))
    assert [r["quant"] for r in runs] == ["Q8_0"] * 6 + ["F16"] * 6
    for row in runs:  # every log exists; each turn's prompt is the chat template's rendering
        transcript = json.loads((out / row["log_path"]).read_text())
        assert transcript["turns"][-1]["prompt"].startswith("<s>[SYSTEM_PROMPT]")
        assert transcript["turns"][-1]["new_tokens"] <= 8
    assert "| metric | threshold | Q8_0 | F16 |" in (out / "summary.md").read_text()
    assert any("no GPU backend" in message for _, _, message, _ in ctx.events)

    with pytest.raises(JobFailure) as caught:  # a quant the export did not write
        run(ValidateReasoningSpec.model_validate({**llama, "quants": ["Q4_K_M"]}), ctx)
    assert (caught.value.type, caught.value.param) == ("gguf_missing", "quants")
