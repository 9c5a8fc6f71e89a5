"""The validate_reasoning runner on the real tiny model, in this process, on the CPU."""

import csv
import json

import pytest
from pydantic import ValidationError

from core.chat_template import DEFAULT_TEMPLATE, load_template
from core.errors import JobCancelled, JobFailure
from core.kinds.validate_reasoning.runner import run
from core.kinds.validate_reasoning.spec import ValidateReasoningSpec
from core.prompts import trained_system_prompt
from tests.conftest import copy_workspace
from tests.recording import RecordingContext

BASE = {
    "kind": "validate_reasoning",
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
        error.type == "reasoning_contract_failed" and "think_tag_rate 0.0 < 0.95" in error.message
    )
    report = error.result
    assert report["verdict"] == "FAIL" and report["passed"] is False
    assert report["files"]["summary"] == "results/check/summary.md"
    out = workspace / "results/check"
    assert json.loads((out / "report.json").read_text()) == report
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [(r["run_type"], r["prompt_id"], r["seed"]) for r in rows] == [
        ("single", "vic_ii_border", "11"),
        ("multi_turn", "sid_voice_volume", "11"),
        ("single", "vic_ii_border", "22"),
        ("multi_turn", "sid_voice_volume", "22"),
        ("single", "vic_ii_border", "33"),
        ("multi_turn", "sid_voice_volume", "33"),
    ]
    assert list(rows[0]) == [
        "run_type",
        "prompt_id",
        "seed",
        "think_open_count",
        "think_close_count",
        "has_think_tag",
        "balanced_think_tags",
        "has_final_after_think",
        "multi_turn_retained",
    ]
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Reasoning validation: FAIL")
    assert "| think_tag_rate | 0.0 | 0.95 | **FAIL** |" in summary
    assert len(list((out / "raw").iterdir())) == 6


@pytest.mark.slow  # generates with the tiny model
def test_a_conversation_feeds_the_models_own_reply_back_before_the_follow_up(workspace):
    failure(workspace, seeds=[5], single_prompts=[])
    transcript = json.loads(
        (workspace / "results/check/raw/multi_turn__sid_voice_volume__seed5.json").read_text()
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
    assert set(report["stops"]) <= {"eos", "ctx_size"} and report["stops"].get("ctx_size")
    raw = workspace / "results/check/raw/multi_turn__sid_voice_volume__seed1.json"
    first, second = json.loads(raw.read_text())["turns"]
    assert first["prompt_tokens"] + first["new_tokens"] <= 300
    assert second["prompt_tokens"] > 300 and second["new_tokens"] == 0  # no room left at all
    assert second["stop"] == "ctx_size" and second["reply"] == ""


@pytest.mark.slow  # generates with the tiny model
def test_thresholds_decide_the_verdict(workspace):
    zero = {
        name: 0.0
        for name in (
            "think_tag_rate",
            "balanced_rate",
            "final_answer_rate",
            "multi_turn_retained_rate",
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


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"seeds": []}, "at least 1 item"),
        ({"seeds": [1, 1]}, "seeds must be distinct"),
        ({"single_prompts": [], "multi_turn_prompts": []}, "at least one single or multi-turn"),
        ({"multi_turn_prompts": [{"id": "a", "turns": ["only one"]}]}, "at least 2 items"),
        ({"single_prompts": [{"id": "sid_voice_volume", "text": "x"}]}, "must be distinct"),
        ({"thresholds": {"balanced_rate": 1.5}}, "less than or equal to 1"),
        ({"max_new_tokens": 0}, "greater than or equal to 1"),
        ({"model_path": "/abs/model"}, "must be relative to the workspace"),
    ],
)
def test_bad_specs_are_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        ValidateReasoningSpec.model_validate({**BASE, **fields})
