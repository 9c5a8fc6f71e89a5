"""torch_compile on the tiny model: Dynamo captures the training forward (the part that breaks
on a model's Python), and the compiled model trains. Inductor's code generation is left to the
GPU bench: on this CPU it takes minutes; the `eager` backend runs the captured graphs as they
are, in seconds."""

import pytest
import torch

from core.training import phases
from tests.conftest import copy_workspace
from tests.core.training.test_train import train

pytestmark = pytest.mark.slow  # trains the tiny model


def test_a_compiled_sft_trains_and_dynamo_captured_the_model(
    sample_workspace, tmp_path, monkeypatch
):
    arguments = phases.arguments
    monkeypatch.setattr(  # the job's TrainingArguments, with the compile backend set to eager
        phases,
        "arguments",
        lambda *a: arguments(*a) | {"torch_compile_backend": "eager"},
    )
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    workspace = copy_workspace(sample_workspace, tmp_path / "ws")
    result, _ctx = train(
        workspace,
        phase="sft",
        torch_compile=True,
        max_steps=2,
        save_steps=2,
        eval_steps=2,
        logging_steps=1,
    )
    assert result["torch_compile"] is True
    sft = result["phases"]["sft"]
    assert sft["steps"] == 2 and sft["final_train_loss"] > 0
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 1  # it did compile
