"""A train job refuses DAPT and SFT datasets from two builds, before any training."""

import json
import shutil

import pytest

from core.errors import JobFailure
from core.kinds.train.runner import run
from core.kinds.train.spec import TrainSpec
from core.pipeline.build_marker import MARKER
from core.training.data import load_splits
from tests.core.pipeline.conftest import build_mixed_pair
from tests.recording import RecordingContext

PROCESSED = "data/processed"
SPEC = {
    "kind": "train",
    "model_path": "models/tiny",
    "output_dir": "models/ft",
    "allow_cpu": True,
    "max_steps": 1,
    "batch_size": 2,
    "grad_accum": 1,
    "max_length": 128,
}


@pytest.fixture
def workspace(tmp_path, tiny_model):
    shutil.copytree(tiny_model, tmp_path / "models" / "tiny")
    build_mixed_pair(tmp_path)
    return tmp_path


def test_the_train_runner_refuses_a_mixed_pair_before_training(workspace):
    spec = TrainSpec.model_validate({**SPEC, "phase": "both"})
    with pytest.raises(JobFailure) as failure:
        run(spec, RecordingContext(workspace))
    assert failure.value.type == "dataset_mixed_runs"
    assert "run one" in failure.value.message and "run two" in failure.value.message
    assert not (workspace / "models/ft-dapt").exists()  # refused before the DAPT phase


def test_load_splits_accepts_one_build_and_datasets_from_before_markers(workspace):
    processed = workspace / PROCESSED
    with pytest.raises(JobFailure, match="different builds"):
        load_splits(processed / "sft", ".jsonl", "messages", seed=0)
    shutil.copy(processed / "dapt" / MARKER, processed / "sft" / MARKER)  # as from one build
    assert len(load_splits(processed / "sft", ".jsonl", "messages", seed=0).train)
    for name in ("dapt", "sft"):
        (processed / name / MARKER).unlink()
    assert len(load_splits(processed / "dapt", ".parquet", "text", seed=0).train)


def test_a_pair_from_two_build_folders_is_refused_too(workspace):
    processed = workspace / PROCESSED
    shutil.move(processed / "sft", workspace / "data/other/sft")  # each folder alone, elsewhere
    spec = TrainSpec.model_validate({**SPEC, "phase": "both", "sft_dir": "data/other/sft"})
    with pytest.raises(JobFailure) as failure:
        run(spec, RecordingContext(workspace))
    assert failure.value.type == "dataset_mixed_runs"
    assert "run one" in failure.value.message and "run two" in failure.value.message


def test_a_missing_validation_split_is_carved_from_train_at_five_percent(tmp_path):
    rows = [{"text": f"chunk {i}"} for i in range(40)]
    (tmp_path / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    splits = load_splits(tmp_path, ".jsonl", "text", seed=42)
    assert splits.carved and len(splits.validation) == 2 and len(splits.train) == 38
    assert set(splits.validation["text"]).isdisjoint(splits.train["text"])
    again = load_splits(tmp_path, ".jsonl", "text", seed=42)
    assert again.validation["text"] == splits.validation["text"]  # the same rows for the seed
    (tmp_path / "train.jsonl").write_text(json.dumps(rows[0]) + "\n")
    alone = load_splits(tmp_path, ".jsonl", "text", seed=42)
    assert alone.validation is None and not alone.carved  # one row: nothing to evaluate on
