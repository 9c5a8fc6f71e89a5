"""Each dataset folder records its build; the validate stage refuses a DAPT/SFT pair of two."""

import json

import pytest

from core.errors import JobFailure
from core.pipeline.build_marker import MARKER
from tests.core.pipeline.conftest import build, build_mixed_pair, plain_corpus

PROCESSED = "data/processed"


def test_each_folder_records_the_build_that_made_it(workspace):
    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    build(workspace, run_id="job-1")
    markers = {
        name: json.loads((workspace / PROCESSED / name / MARKER).read_text())
        for name in ("dapt", "sft")
    }
    assert markers["dapt"]["run_id"] == markers["sft"]["run_id"] == "job-1"
    assert (markers["dapt"]["stage"], markers["sft"]["stage"]) == ("build_dapt", "build_sft")
    assert markers["dapt"]["pages_sha256"] == markers["sft"]["pages_sha256"]
    assert markers["dapt"]["built_at"] and markers["dapt"]["seed"] == markers["sft"]["seed"]


def test_validate_refuses_a_pair_from_two_builds_naming_both_and_the_fix(workspace):
    build_mixed_pair(workspace)
    with pytest.raises(JobFailure) as failure:
        build(workspace, run_id="three", stages=["validate"])
    error = failure.value
    assert error.type == "dataset_mixed_runs"
    assert "run two" in error.message and "run one" in error.message
    assert "build_dapt, build_sft, validate" in (error.hint or "")

    result, _ = build(workspace, run_id="four", stages=["build_dapt", "build_sft", "validate"])
    assert result["ok"]  # the fix the hint names


def test_a_stage_rerun_on_the_same_pages_is_one_build(workspace):
    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    build(workspace, run_id="one")
    result, _ = build(workspace, run_id="two", stages=["build_sft", "validate"])
    assert result["ok"]
    with pytest.raises(JobFailure, match="another seed"):
        build(workspace, run_id="three", stages=["build_dapt", "validate"], seed=7)


def test_datasets_from_before_markers_are_accepted_but_not_half_of_them(workspace):
    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    build(workspace)
    for name in ("dapt", "sft"):
        (workspace / PROCESSED / name / MARKER).unlink()
    assert build(workspace, stages=["validate"])[0]["ok"]

    build(workspace, run_id="new", stages=["build_dapt"])  # sft still from before markers
    with pytest.raises(JobFailure) as failure:
        build(workspace, stages=["validate"])
    assert "sft has no build.json" in failure.value.message
