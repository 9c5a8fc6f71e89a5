import json

import pytest

from core.errors import JobFailure
from core.pipeline import files
from core.publish import MARKER
from tests.core.pipeline.conftest import build, plain_corpus


def test_all_stages_report_counts_progress_and_a_passing_report(workspace):
    plain_corpus(workspace / "c64_docs")
    result, ctx = build(workspace)
    assert result["ok"] and result["warnings"] == []
    on_disk = json.loads((workspace / "data/processed/validation_report.json").read_text())
    assert {k: v for k, v in result.items() if k != "stage_seconds"} == on_disk
    checks = result["checks"]
    assert checks["total_pages"] == 5 * 6 + 2 and checks["coverage_ratio"] == 1.0
    assert checks["boilerplate_lines_removed"] == 5 * 6 * 2
    assert checks["sft_thinking"]["assistant_with_think_ratio"] == 1.0
    assert checks["sft_thinking"]["unique_think_texts"] >= 8
    assert checks["sft_examples"]["total"] == sum(
        checks["sft_examples"][s] for s in ("train", "validation", "test")
    )
    assert "**Verdict: PASS**" in (workspace / "data/processed/validation_report.md").read_text()
    done = [message for stage, _, message, data in ctx.events if message.endswith(" s") and data]
    assert len(done) == 6  # one event with counts per stage before validate
    assert ctx.fractions == sorted(ctx.fractions) and ctx.fractions[-1] == 1.0


def test_contract_fails_a_strict_job_and_only_warns_otherwise(workspace):
    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    with pytest.raises(JobFailure) as failure:
        build(workspace, min_sft_examples=10_000)
    assert failure.value.type == "data_contract_failed"
    assert "min_sft_examples 10000" in failure.value.message
    assert failure.value.result["ok"] is False  # the report is kept on the failed job
    report = json.loads((workspace / "data/processed/validation_report.json").read_text())
    assert report["warnings"] == failure.value.result["warnings"]

    result, _ = build(
        workspace, stages=["validate"], min_sft_examples=10_000, strict_thinking_contract=False
    )
    assert result["ok"] is False and len(result["warnings"]) == 1


def test_broken_think_lines_fail_the_contract(workspace):
    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    build(workspace)
    train = workspace / "data/processed/sft/train.jsonl"
    lines = train.read_text().splitlines()
    broken = json.loads(lines[0])
    broken["messages"][-1]["content"] = "no reasoning here"
    train.write_text("\n".join([json.dumps(broken), "{not json", *lines[1:]]) + "\n")
    with pytest.raises(JobFailure) as failure:
        build(workspace, stages=["validate"])
    thinking = failure.value.result["checks"]["sft_thinking"]
    assert thinking["splits"]["train"]["bad_json_lines"] == thinking["bad_json_lines"] == 1
    assert thinking["assistant_with_think_total"] == thinking["assistant_messages_total"] - 1
    assert "unparseable" in failure.value.message and "THINK coverage" in failure.value.message


def test_a_later_stage_reruns_alone_and_a_missing_input_is_named(workspace):
    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    build(workspace)
    result, _ = build(
        workspace,
        stages=["build_sft", "validate"],
        max_examples_per_page=1,
        strict_thinking_contract=False,
    )
    assert result["checks"]["sft_examples"]["total"] == result["checks"]["dedup_pages"]
    assert result["warnings"] == ["multi-turn share 0.0000 < 0.15"]  # one example per page
    with pytest.raises(JobFailure) as failure:
        build(workspace, stages=["build_dapt"], interim_dir="data/elsewhere")
    assert failure.value.type == "stage_input_missing" and "'dedup'" in failure.value.message


def test_a_stage_killed_mid_publish_leaves_the_previous_output(workspace, monkeypatch):
    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    build(workspace)
    dapt = workspace / "data/processed/dapt"
    before = {p.name: p.read_bytes() for p in dapt.iterdir()}
    written = []

    def dies_after_one_file(path, rows, schema):
        if written:
            raise KeyboardInterrupt  # the worker killed between two split files
        written.append(path)
        real_write(path, rows, schema)

    real_write = files.write_table
    monkeypatch.setattr("core.pipeline.dapt.write_table", dies_after_one_file)
    with pytest.raises(KeyboardInterrupt):
        build(workspace, stages=["build_dapt"], block_size=32, stride=4)
    assert {p.name: p.read_bytes() for p in dapt.iterdir()} == before
    hidden = [p.name for p in dapt.parent.iterdir() if p.name.startswith(".")]
    assert hidden == [MARKER]  # the folder's owner, and no staging folder left behind


def test_cancel_stops_at_a_stage_boundary(workspace):
    from core.errors import JobCancelled
    from core.kinds.build_datasets.runner import run
    from core.kinds.build_datasets.spec import BuildDatasetsSpec
    from tests.core.pipeline.conftest import RecordingContext

    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    ctx = RecordingContext(workspace)
    ctx.cancel_requested.set()
    with pytest.raises(JobCancelled):
        run(BuildDatasetsSpec(kind="build_datasets"), ctx)
    assert not (workspace / "data/interim/manifest.parquet").exists()


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("source_dir", "/etc", "must lie inside the workspace"),
        ("output_dir", "data/../../x", "'..'"),
        ("stages", ["dedup", "extract"], "pipeline order"),
        ("stride", 4096, "smaller than"),
        ("stages", ["validate", "validate"], "distinct"),
        ("ocr_language", "eng;rm", "pattern"),
    ],
)
def test_bad_specs_are_refused_with_the_field(field, value, reason):
    from pydantic import ValidationError

    from core.kinds.build_datasets.spec import BuildDatasetsSpec

    with pytest.raises(ValidationError) as error:
        BuildDatasetsSpec.model_validate({"kind": "build_datasets", field: value})
    assert error.value.errors()[0]["loc"][0] == field
    assert reason in str(error.value)


def test_a_symlink_out_of_the_workspace_is_refused(workspace, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (workspace / "c64_docs").symlink_to(outside)
    with pytest.raises(JobFailure) as failure:
        build(workspace)
    assert failure.value.type == "path_outside_workspace"
