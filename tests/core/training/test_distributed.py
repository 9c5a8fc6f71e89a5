"""`gpus: 2` on the CPU: torchrun starts two gloo ranks of the tiny model's training, rank 0
reports through this process's context, and the two ranks end with the same weights."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from core.errors import JobFailure
from core.kinds.train.plan import optimizer_steps
from core.kinds.train.runner import run
from core.kinds.train.spec import TrainSpec
from tests.conftest import copy_workspace
from tests.core.training.test_train import TINY
from tests.recording import RecordingContext

pytestmark = pytest.mark.slow  # trains the tiny model in two processes

HOOKS = Path(__file__).parent / "rank_hooks"  # sitecustomize: test hooks inside the ranks
TWO = {**TINY, "gpus": 2, "phase": "dapt", "max_steps": 4, "save_steps": 2, "eval_steps": 2}


@pytest.fixture
def workspace(sample_workspace, tmp_path):
    return copy_workspace(sample_workspace, tmp_path / "ws")


@pytest.fixture
def rank_hooks(monkeypatch):
    """The ranks load `rank_hooks/sitecustomize.py`; the test's variables say what it does."""
    import os

    inherited = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HOOKS), inherited])))
    return monkeypatch


def train(workspace, ctx=None, **fields):
    ctx = ctx or RecordingContext(workspace)
    return run(TrainSpec.model_validate({**TWO, **fields}), ctx), ctx


def ranks_event(ctx):
    [data] = [d for _, _, m, d in ctx.events if m.startswith("training processes ended")]
    return data["ranks"]


def test_two_ranks_train_alike_and_rank_zero_alone_reports(workspace, tmp_path, rank_hooks):
    rank_hooks.setenv("C64FT_TEST_RANK_WEIGHTS", str(tmp_path))  # each rank saves its weights
    result, ctx = train(workspace)
    assert result["processes"] == 2 and result["distributed"] == "ddp"
    assert result["effective_batch_size"] == 4 * 1 * 2
    figures = result["phases"]["dapt"]
    assert figures["steps"] == figures["max_steps"] == 4
    assert ranks_event(ctx) == {
        "0": {"outcome": "result", "stage": "dapt"},
        "1": {"outcome": "result", "stage": "dapt"},
    }
    losses = [p["step"] for p in ctx.points if p["loss"] is not None]
    assert losses == [2, 4]  # one rank's points: each step once
    assert [c[:2] for c in ctx.checkpoints] == [("dapt", 2), ("dapt", 4)]
    stages = [stage for stage, _, _, _ in ctx.events]
    assert "launch" in stages and "dapt" in stages
    assert ctx.fractions[-1] == 1.0
    assert (workspace / "models/ft-dapt/adapter_model.safetensors").is_file()
    checkpoint = workspace / "models/ft-dapt/checkpoint-4"
    assert {p.name for p in checkpoint.glob("rng_state_*.pth")} == {
        "rng_state_0.pth",
        "rng_state_1.pth",
    }
    ranks = [load_file(tmp_path / f"rank-{r}.safetensors") for r in (0, 1)]
    assert ranks[0].keys() == ranks[1].keys() and ranks[0]
    assert all(torch.equal(ranks[0][k], ranks[1][k]) for k in ranks[0])  # as DDP requires
    assert any(ranks[0][k].abs().sum() > 0 for k in ranks[0] if "lora_B" in k)  # B starts at 0


def test_out_of_memory_on_one_rank_is_the_jobs_failure(workspace, rank_hooks):
    rank_hooks.setenv("C64FT_TEST_OOM_RANK", "1")
    with pytest.raises(JobFailure) as failure:
        train(workspace)
    assert failure.value.type == "out_of_memory"
    assert failure.value.message.startswith("rank 1:")
    assert "batch_size" in failure.value.hint


def test_the_plan_shares_the_rows_among_the_processes():
    spec = TrainSpec.model_validate({**TWO, "max_steps": -1, "epochs": 1, "grad_accum": 2})
    assert optimizer_steps(spec, 100) == 7  # 100 rows / (4 × 2 processes) = 13 batches → 7
    one = spec.model_copy(update={"gpus": 1})
    assert optimizer_steps(one, 100) == 13


def test_fsdp_is_for_a_full_fine_tune_only():
    with pytest.raises(ValueError, match="use_lora false"):
        TrainSpec.model_validate({**TWO, "distributed": "fsdp"})
    spec = TrainSpec.model_validate({**TWO, "distributed": "fsdp", "use_lora": False})
    assert spec.distributed == "fsdp"


def test_fsdp_trains_a_full_model_on_two_ranks(workspace):
    fields = {"distributed": "fsdp", "use_lora": False, "max_steps": 2, "save_steps": 2}
    result, ctx = train(workspace, **fields)
    assert result["distributed"] == "fsdp"
    assert result["phases"]["dapt"]["steps"] == 2
    assert (workspace / "models/ft-dapt/model.safetensors").is_file()
    assert [c[:2] for c in ctx.checkpoints] == [("dapt", 2)]
