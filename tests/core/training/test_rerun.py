"""Running a finished train job again keeps what it made; a resume continues from the trained
weights; an interrupted run's leftovers are cleaned and its metrics are not lost."""

import hashlib
import shutil

import pytest
import torch
from safetensors.torch import load_file

from core.publish import claim_dir
from core.training import callbacks
from tests.conftest import copy_workspace
from tests.core.training.test_train import train
from tests.recording import RecordingContext

pytestmark = pytest.mark.slow  # trains the tiny model

EVERY_2 = {"max_steps": 4, "save_steps": 2, "eval_steps": 2}  # two checkpoints, each evaluated
FULL = {"phase": "sft", "use_lora": False, **EVERY_2}


@pytest.fixture
def workspace(sample_workspace, tmp_path):
    return copy_workspace(sample_workspace, tmp_path / "ws")


def tree(folder):
    """Every file under `folder` with its checksum."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_finished_full_fine_tune_run_again_is_kept_byte_identical(workspace):
    first, _ = train(workspace, **FULL)
    output = workspace / "models/ft"
    before = tree(output)
    base = load_file(workspace / "models/tiny-ministral3/model.safetensors")
    trained = load_file(output / "model.safetensors")
    assert any(not torch.equal(base[k], trained[k]) for k in base)

    again, ctx = train(workspace, **FULL)
    assert tree(output) == before  # no checkpoint-5, no base weights written over the model
    figures = again["phases"]["sft"]
    assert figures["already_complete"] and figures["steps"] == figures["max_steps"] == 4
    assert figures["final_train_loss"] == first["phases"]["sft"]["final_train_loss"]
    assert ctx.points == [] and ctx.checkpoints == []  # nothing was trained
    assert any("already complete at step 4" in m for _, _, m, _ in ctx.events)


def test_a_finished_lora_run_again_keeps_adapters_and_merged_model(workspace):
    train(workspace, phase="dapt", **EVERY_2)
    dapt = tree(workspace / "models/ft-dapt")
    both, _ = train(workspace, **EVERY_2)  # a finished DAPT is not trained again
    assert both["phases"]["dapt"]["already_complete"]
    assert not both["phases"]["sft"]["already_complete"] and both["phases"]["sft"]["steps"] == 4
    assert tree(workspace / "models/ft-dapt") == dapt
    made = {name: tree(workspace / name) for name in ("models/ft", "models/ft-merged-hf")}

    again, ctx = train(workspace, **EVERY_2)
    assert {name: tree(workspace / name) for name in made} == made
    assert tree(workspace / "models/ft-dapt") == dapt
    assert all(again["phases"][p]["already_complete"] for p in ("dapt", "sft"))
    assert again["artifacts"] == both["artifacts"]
    assert ctx.points == [] and "merge" not in [stage for stage, *_ in ctx.events]


def test_a_full_fine_tune_resumes_from_its_trained_weights(workspace):
    """The Trainer's own resume left a whole model at the base weights (transformers 5 saves
    them under other names); a resumed run must end where an uninterrupted one does."""
    train(workspace, **FULL, learning_rate=0.005)
    output = workspace / "models/ft"
    uninterrupted = load_file(output / "model.safetensors")
    shutil.rmtree(output / "checkpoint-4")
    (output / "model.safetensors").unlink()

    result, _ = train(workspace, **FULL, learning_rate=0.005)
    assert result["phases"]["sft"]["resumed_from"].endswith("checkpoint-2")
    resumed = load_file(output / "model.safetensors")
    assert all(torch.allclose(uninterrupted[k], resumed[k], atol=1e-6) for k in resumed)


def test_a_finished_phase_whose_final_save_never_ran_is_written_from_its_checkpoint(workspace):
    first, _ = train(workspace, **FULL)
    output = workspace / "models/ft"
    best = first["phases"]["sft"]["best_step"]  # what the output holds (load_best_model_at_end)
    checkpoint = load_file(output / f"checkpoint-{best}/model.safetensors")
    (output / "model.safetensors").unlink()

    result, ctx = train(workspace, **FULL)
    figures = result["phases"]["sft"]
    assert figures["already_complete"] and figures["exported_from_checkpoint"]
    assert figures["weights"] == "best" and figures["best_step"] == best
    assert ctx.points == [] and not (output / "checkpoint-5").exists()
    written = load_file(output / "model.safetensors")
    assert all(torch.equal(checkpoint[k], written[k]) for k in checkpoint)


def test_stale_staging_folders_are_removed_before_training(workspace):
    claim_dir(workspace / "models/ft", kind="train")  # an earlier train job's folder
    stale = workspace / "models/ft/.final-k2j3h4"
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"half a model")
    (workspace / "models/ft/notes.txt").write_text("mine")
    train(workspace, **FULL)
    assert list((workspace / "models/ft").glob(".final-*")) == []
    assert (workspace / "models/ft/notes.txt").read_text() == "mine"


class CheckpointWatcher(RecordingContext):
    """Notes, at each checkpoint, the steps whose metric rows were already written."""

    def __init__(self, workspace):
        super().__init__(workspace)
        self.written_at: dict[int, set[int]] = {}

    def checkpoint(self, phase, step, path, metrics):
        super().checkpoint(phase, step, path, metrics)
        self.written_at[step] = {p["step"] for p in self.points if p["loss"] is not None}


def test_every_checkpoints_metrics_are_written_when_it_is_saved(workspace, monkeypatch):
    monkeypatch.setattr(callbacks, "METRIC_FLUSH_S", 3600.0)  # only a save may flush
    ctx = CheckpointWatcher(workspace)
    train(workspace, ctx=ctx, phase="dapt", max_steps=6, save_steps=3)
    assert ctx.written_at == {3: {2}, 6: {2, 4, 6}}
