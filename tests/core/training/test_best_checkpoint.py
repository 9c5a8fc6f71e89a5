"""Checkpoint retention and the best checkpoint: only `save_total_limit` checkpoints stay on
disk, and a phase's output holds the weights of its best checkpoint by eval loss."""

import math

import pytest
import torch
from safetensors.torch import load_file

from core.training.checkpoints import CHECKPOINT
from tests.conftest import copy_workspace
from tests.core.training.test_train import train

pytestmark = pytest.mark.slow  # trains the tiny model

# A learning rate far too high: the eval loss is lowest early and rises after, so the best
# checkpoint is not the last one and keeping the last weights would show.
DIVERGING = {"learning_rate": 0.5, "max_steps": 10, "save_steps": 2, "eval_steps": 2}


@pytest.fixture
def workspace(sample_workspace, tmp_path):
    return copy_workspace(sample_workspace, tmp_path / "ws")


def checkpoint_steps(folder):
    return sorted(int(m[1]) for p in folder.iterdir() if (m := CHECKPOINT.match(p.name)))


def tensors_equal(left, right):
    return set(left) == set(right) and all(torch.equal(left[k], right[k]) for k in left)


def test_only_save_total_limit_checkpoints_remain_after_five_saves(workspace):
    result, ctx = train(workspace, phase="dapt", max_steps=10, save_steps=2, eval_steps=2)
    assert [c[1] for c in ctx.checkpoints] == [2, 4, 6, 8, 10]  # five saves
    kept = checkpoint_steps(workspace / "models/ft-dapt")
    assert len(kept) == 2 and kept[-1] == 10  # the last, to resume from
    assert result["phases"]["dapt"]["best_step"] in kept  # and the best, never deleted


# LoRA on the tiny model barely moves the eval loss at 0.5 (it stays near chance, so which
# step is best is noise); scaled up this far, the adapter blows the loss up to NaN after a few
# steps, as a real run that diverges overnight does, and only the early checkpoints are sound.
BLOWING_UP = DIVERGING | {"learning_rate": 1.0, "lora_alpha": 512}


def test_the_sft_output_is_the_best_checkpoints_adapter(workspace):
    result, ctx = train(workspace, phase="sft", merge_adapter=False, **BLOWING_UP)
    figures = result["phases"]["sft"]
    assert figures["evaluated"] and figures["weights"] == "best"
    best = figures["best_step"]
    assert best < 10, figures  # diverging: an early step is the best
    assert figures["best_checkpoint"] == f"models/ft/checkpoint-{best}"
    evals = {p["step"]: p["eval_loss"] for p in ctx.points if p.get("eval_loss") is not None}
    assert figures["best_eval_loss"] == min(v for v in evals.values() if math.isfinite(v))
    assert not figures["final_eval_loss"] <= figures["best_eval_loss"]  # higher, or NaN
    output = workspace / "models/ft"
    assert checkpoint_steps(output) == [best, 10]  # the best kept beside the last
    written = load_file(output / "adapter_model.safetensors")
    assert tensors_equal(
        written, load_file(output / f"checkpoint-{best}/adapter_model.safetensors")
    )
    assert not tensors_equal(written, load_file(output / "checkpoint-10/adapter_model.safetensors"))


def test_a_full_fine_tune_writes_its_best_checkpoints_weights(workspace):
    # All weights move at once: over 6 steps at 0.5 the eval loss is lowest at step 2.
    steep = DIVERGING | {"max_steps": 6}
    result, _ = train(workspace, phase="sft", use_lora=False, **steep)
    best = result["phases"]["sft"]["best_step"]
    assert best < 6
    output = workspace / "models/ft"
    written = load_file(output / "model.safetensors")
    assert tensors_equal(written, load_file(output / f"checkpoint-{best}/model.safetensors"))
    assert not tensors_equal(written, load_file(output / "checkpoint-6/model.safetensors"))


def test_without_evaluation_the_last_weights_are_the_output(workspace):
    result, _ = train(workspace, phase="dapt", max_steps=4, save_steps=2, eval_strategy="no")
    figures = result["phases"]["dapt"]
    assert not figures["evaluated"] and figures["weights"] == "last"
    assert figures["best_step"] is None and figures["best_eval_loss"] is None
    output = workspace / "models/ft-dapt"
    written = load_file(output / "adapter_model.safetensors")
    assert tensors_equal(written, load_file(output / "checkpoint-4/adapter_model.safetensors"))


def test_a_dataset_without_validation_is_evaluated_on_rows_carved_from_train(workspace):
    (workspace / "data/processed/sft/validation.jsonl").unlink()
    result, ctx = train(
        workspace, phase="sft", max_steps=2, save_steps=2, eval_steps=2, merge_adapter=False
    )
    [carved] = [
        data for _, _, message, data in ctx.events if data and data.get("carved_from_train")
    ]
    assert carved["phase"] == "sft" and carved["validation_rows"] > 0
    assert result["phases"]["sft"]["evaluated"] and result["phases"]["sft"]["best_step"] == 2
