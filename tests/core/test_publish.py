"""Publishing replaces only a previous output of the same kind, and cleans what a crash left."""

import json

import pytest

from core.publish import MARKER, OutputRefused, claim_dir, marker_kind, publishing_dir


def test_a_published_folder_is_marked_with_its_kind(tmp_path):
    with publishing_dir(tmp_path / "report", kind="validate_reasoning") as staging:
        (staging / "summary.md").write_text("PASS")
    assert marker_kind(tmp_path / "report") == "validate_reasoning"
    with publishing_dir(tmp_path / "report", kind="validate_reasoning") as staging:
        (staging / "summary.md").write_text("FAIL")  # its own previous output: replaced
    assert (tmp_path / "report/summary.md").read_text() == "FAIL"


def test_an_unmarked_folder_is_never_replaced(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights")
    with (
        pytest.raises(OutputRefused, match="no c64ft job made"),
        publishing_dir(model, kind="validate_reasoning") as staging,
    ):
        (staging / "summary.md").write_text("PASS")
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert (model / "model.safetensors").read_bytes() == b"weights"


def test_another_kinds_output_and_a_file_are_never_replaced(tmp_path):
    (tmp_path / "merged").mkdir()
    (tmp_path / "merged" / MARKER).write_text(json.dumps({"kind": "train"}))
    (tmp_path / "notes.txt").write_text("mine")
    for target, reason in [("merged", "output of a train job"), ("notes.txt", "not a folder")]:
        with (
            pytest.raises(OutputRefused, match=reason),
            publishing_dir(tmp_path / target, kind="validate_reasoning"),
        ):
            pass
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_replace_unmarked_is_the_callers_explicit_choice(tmp_path):
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny/old").write_text("x")
    with publishing_dir(tmp_path / "tiny", kind="make-tiny-model", replace_unmarked=True) as new:
        (new / "config.json").write_text("{}")
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == [MARKER, "config.json"]


def test_a_crashed_publish_leaves_nothing_that_outlives_the_next_one(tmp_path):
    stale = tmp_path / ".model-merged.0123abcd.tmp"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half")
    other = tmp_path / ".other.0123abcd.tmp"  # another output's: not ours to clean
    other.mkdir()
    with publishing_dir(tmp_path / "model-merged", kind="train") as staging:
        (staging / "config.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.0123abcd.tmp", "model-merged"]


def test_claiming_a_folder_marks_it_and_refuses_strangers(tmp_path):
    claim_dir(tmp_path / "ft", kind="train")
    assert marker_kind(tmp_path / "ft") == "train"
    claim_dir(tmp_path / "ft", kind="train")  # again: still ours
    with pytest.raises(OutputRefused, match="output of a train job"):
        claim_dir(tmp_path / "ft", kind="build_datasets")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/a.pdf").write_bytes(b"%PDF")
    with pytest.raises(OutputRefused, match="no c64ft job made"):
        claim_dir(tmp_path / "mine", kind="build_datasets")
    assert marker_kind(tmp_path / "mine") is None
