"""The train runner on the tiny model and the sample datasets, in this process, on the CPU."""

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoTokenizer, Mistral3ForConditionalGeneration

from core.errors import JobCancelled, JobFailure
from core.kinds.train.runner import run
from core.kinds.train.spec import TrainSpec
from tests.conftest import copy_workspace
from tests.recording import RecordingContext

pytestmark = pytest.mark.slow  # trains the tiny model

TINY = {
    "kind": "train",
    "model_path": "models/tiny-ministral3",
    "output_dir": "models/ft",
    "allow_cpu": True,
    "max_steps": 6,
    "batch_size": 4,
    "grad_accum": 1,
    "learning_rate": 0.002,
    "max_length": 512,
    "gradient_checkpointing": False,
    "logging_steps": 2,
    "save_steps": 3,
    "eval_steps": 3,
    "warmup_steps": 0,
}


@pytest.fixture
def workspace(sample_workspace, tmp_path):
    return copy_workspace(sample_workspace, tmp_path / "ws")


def train(workspace, ctx=None, **fields):
    ctx = ctx or RecordingContext(workspace)
    return run(TrainSpec.model_validate({**TINY, **fields}), ctx), ctx


def test_both_phases_write_adapters_checkpoints_metrics_and_a_merged_model(workspace):
    result, ctx = train(workspace)
    assert result["artifacts"] == {
        "dapt_adapter": "models/ft-dapt",
        "sft_adapter": "models/ft",
        "merged_model": "models/ft-merged-hf",
    }
    for phase in ("dapt", "sft"):
        figures = result["phases"][phase]
        assert figures["steps"] == 6 and figures["final_train_loss"] > 0
        assert figures["final_eval_loss"] > 0 and figures["tokens_seen"] > 0
        assert [c[1] for c in ctx.checkpoints if c[0] == phase] == [3, 6]
        points = [p for p in ctx.points if p["phase"] == phase and p["loss"] is not None]
        assert [p["step"] for p in points] == [2, 4, 6]
        assert all(p["learning_rate"] is not None and p["grad_norm"] is not None for p in points)
    assert (workspace / "models/ft-dapt/adapter_model.safetensors").is_file()
    assert (workspace / "models/ft/checkpoint-6").is_dir()
    assert set(result["datasets"]) == {
        "data/processed/dapt/train.parquet",
        "data/processed/dapt/validation.parquet",
        "data/processed/sft/train.jsonl",
        "data/processed/sft/validation.jsonl",
    }
    assert set(result["versions"]) == {"torch", "transformers", "peft", "trl"}
    assert ctx.fractions == sorted(ctx.fractions)
    [predicted] = [e for e in ctx.events if e[2].startswith("estimated peak memory")]
    assert predicted[1] == "info" and predicted[2].endswith("in fp32 on the CPU")
    assert predicted[3]["total"] > predicted[3]["weights"] > 0

    merged = workspace / "models/ft-merged-hf"
    tokenizer = AutoTokenizer.from_pretrained(merged)
    assert "generation" in tokenizer.chat_template
    model = Mistral3ForConditionalGeneration.from_pretrained(merged)
    ids = tokenizer("POKE 53280,0", return_tensors="pt").input_ids
    assert model.generate(ids, max_new_tokens=4, do_sample=False).shape[1] > ids.shape[1]
    base = load_file(workspace / "models/tiny-ministral3/model.safetensors")
    trained = load_file(merged / "model.safetensors")
    attention = [k for k in base if "language_model" in k and "self_attn.q_proj" in k]
    vision = [k for k in base if "vision_tower" in k]
    assert attention and vision
    assert any(not torch.equal(base[k], trained[k]) for k in attention)  # LoRA merged in
    assert all(torch.equal(base[k], trained[k]) for k in vision)  # the vision tower untouched


def test_a_template_without_generation_blocks_is_refused_under_strict(workspace):
    (workspace / "plain.jinja").write_text(
        "{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}"
    )
    with pytest.raises(JobFailure) as failure:
        train(workspace, phase="sft", chat_template_path="plain.jinja")
    assert failure.value.type == "chat_template_invalid"
    assert failure.value.param == "chat_template_path"
    result, ctx = train(
        workspace,
        phase="sft",
        chat_template_path="plain.jinja",
        max_steps=2,
        strict_assistant_only_loss=False,
        merge_adapter=False,
    )
    assert result["phases"]["sft"]["steps"] == 2
    assert any("no generation blocks" in message for _, _, message, _ in ctx.events)


class CancelAt(RecordingContext):
    """Asks for a cancel once training reaches `step`, as POST /jobs/{id}/cancel would."""

    def __init__(self, workspace, step):
        super().__init__(workspace)
        self.step = step

    def progress(self, fraction, *, step=None, total=None):
        super().progress(fraction, step=step, total=total)
        if step is not None and step >= self.step:
            self.cancel_requested.set()


def test_cancel_saves_a_checkpoint_and_a_rerun_resumes_from_it(workspace):
    ctx = CancelAt(workspace, 2)
    with pytest.raises(JobCancelled):
        train(workspace, ctx=ctx, phase="dapt", save_steps=100, eval_steps=100, max_steps=8)
    assert ctx.checkpoints[-1][:2] == ("dapt", 2)
    assert (workspace / "models/ft-dapt/checkpoint-2").is_dir()

    result, again = train(workspace, phase="dapt", save_steps=100, eval_steps=100, max_steps=8)
    figures = result["phases"]["dapt"]
    assert figures["resumed_from"].endswith("checkpoint-2") and figures["steps"] == 8
    assert min(p["step"] for p in again.points) > 2  # continued, not from zero


def test_out_of_memory_is_reported_with_the_hint(workspace, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr("transformers.Trainer.training_step", out_of_memory)
    with pytest.raises(JobFailure) as failure:
        train(workspace, phase="dapt")
    assert failure.value.type == "out_of_memory"
    assert all(word in failure.value.hint for word in ("batch_size", "grad_accum", "max_length"))


def test_missing_or_malformed_datasets_name_the_file(workspace):
    (workspace / "data/processed/sft/train.jsonl").write_text('{"text": "no messages"}\n')
    with pytest.raises(JobFailure) as failure:
        train(workspace, phase="sft")
    assert failure.value.type == "dataset_invalid"
    assert "train.jsonl" in failure.value.message and "'messages'" in failure.value.message
    with pytest.raises(JobFailure) as failure:
        train(workspace, phase="dapt", dapt_dir="data/nowhere")
    assert failure.value.type == "dataset_invalid" and "missing" in failure.value.message


def test_no_gpu_without_allow_cpu_fails_with_the_hint(workspace):
    with pytest.raises(JobFailure) as failure:
        train(workspace, allow_cpu=False)
    assert failure.value.type == "no_gpu" and "/dev/kfd" in failure.value.hint


def test_a_max_length_that_cuts_every_answer_is_a_clean_failure(workspace):
    # 48 tokens hold the system prompt's start, never an answer: TRL drops every example.
    with pytest.raises(JobFailure) as failure:
        train(workspace, phase="sft", max_length=48)
    assert failure.value.type == "dataset_invalid" and failure.value.param == "max_length"
    assert "max_length 48" in failure.value.message
