"""Only complete checkpoints are resumed from; a save cut short is set aside, never deleted."""

import json

import pytest
import torch
from safetensors.torch import save_file

from core.errors import JobFailure
from core.jobs import journal, store
from core.kinds.train.spec import TrainSpec
from core.training.checkpoints import latest_checkpoint, problem
from tests.conftest import copy_workspace
from tests.core.training.test_train import TINY, train
from tests.recording import RecordingContext


def complete_checkpoint(folder, step):
    """The files the Trainer writes for a LoRA checkpoint, by hand."""
    folder.mkdir(parents=True)
    save_file({"w": torch.ones(4, 4)}, folder / "adapter_model.safetensors")
    (folder / "adapter_config.json").write_text('{"r": 8}')
    for name in ("optimizer.pt", "scheduler.pt"):
        torch.save({"step": step}, folder / name)
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step, "epoch": 1.0}))
    return folder


def empty_folder(folder):
    for path in folder.iterdir():
        path.unlink()


def zero_byte_config(folder):
    (folder / "adapter_config.json").unlink()
    (folder / "config.json").write_bytes(b"")


def no_trainer_state(folder):
    (folder / "trainer_state.json").unlink()


def cut_short_state(folder):
    (folder / "trainer_state.json").write_text('{"global_step": 4, "log_hi')


def cut_short_weights(folder):
    data = (folder / "adapter_model.safetensors").read_bytes()
    (folder / "adapter_model.safetensors").write_bytes(data[:-10])


def empty_optimizer(folder):
    (folder / "optimizer.pt").write_bytes(b"")


@pytest.mark.parametrize(
    "damage",
    [
        empty_folder,
        zero_byte_config,
        no_trainer_state,
        cut_short_state,
        cut_short_weights,
        empty_optimizer,
    ],
)
def test_a_checkpoint_cut_short_is_incomplete(tmp_path, damage):
    folder = complete_checkpoint(tmp_path / "checkpoint-4", 4)
    assert problem(folder) is None
    damage(folder)
    assert problem(folder)


def test_the_latest_complete_checkpoint_is_chosen_and_newer_ones_are_set_aside(tmp_path):
    complete_checkpoint(tmp_path / "checkpoint-2", 2)
    no_trainer_state(complete_checkpoint(tmp_path / "checkpoint-4", 4))
    (tmp_path / "checkpoint-6").mkdir()
    ctx = RecordingContext(tmp_path)
    assert latest_checkpoint(tmp_path, ctx) == tmp_path / "checkpoint-2"
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == ["checkpoint-2"]
    [aside4] = tmp_path.glob(".incomplete-checkpoint-4-*")
    assert (aside4 / "adapter_model.safetensors").is_file()  # kept, not deleted
    assert len(list(tmp_path.glob(".incomplete-checkpoint-6-*"))) == 1
    warnings = [m for _, level, m, _ in ctx.events if level == "warning"]
    assert len(warnings) == 2 and "checkpoint-6" in warnings[0] and "set aside" in warnings[0]


@pytest.fixture
def workspace(sample_workspace, tmp_path):
    return copy_workspace(sample_workspace, tmp_path / "ws")


@pytest.mark.slow  # trains the tiny model
def test_a_run_killed_while_saving_resumes_from_the_previous_checkpoint(workspace):
    train(workspace, phase="dapt", max_steps=4, save_steps=2, eval_steps=2)
    output = workspace / "models/ft-dapt"
    (output / "checkpoint-4/trainer_state.json").unlink()  # as a kill mid-save leaves it
    (output / "adapter_model.safetensors").unlink()  # and the final save never ran

    result, ctx = train(workspace, phase="dapt", max_steps=4, save_steps=2, eval_steps=2)
    figures = result["phases"]["dapt"]
    assert figures["resumed_from"].endswith("checkpoint-2") and figures["steps"] == 4
    assert not figures["already_complete"]
    assert len(list(output.glob(".incomplete-checkpoint-4-*"))) == 1
    assert problem(output / "checkpoint-4") is None  # written again, whole
    assert any("checkpoint-4 is incomplete" in m for _, level, m, _ in ctx.events)


@pytest.mark.slow  # trains the tiny model
def test_from_checkpoint_refuses_an_incomplete_checkpoint(workspace):
    earlier = store.create_job(spec=TrainSpec.model_validate(TINY))
    complete_checkpoint(workspace / "models/ft-dapt/checkpoint-2", 2)
    no_trainer_state(workspace / "models/ft-dapt/checkpoint-2")
    journal.add_checkpoint(
        earlier.id, phase="dapt", step=2, path="models/ft-dapt/checkpoint-2", metrics=None
    )
    with pytest.raises(JobFailure) as failure:
        train(workspace, phase="dapt", output_dir="models/other", from_checkpoint=f"{earlier.id}:2")
    assert failure.value.type == "checkpoint_incomplete"
    assert failure.value.param == "from_checkpoint"
    assert "trainer_state.json" in failure.value.message
