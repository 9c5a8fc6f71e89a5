"""The memory estimate against the measured peak of real training steps of the tiny model on the
CPU in fp32: the service's own model loading and SFT trainer, two optimizer steps (the second runs
with the optimizer's state), peak tensor memory from the profiler's allocation records."""

import random

import pytest
import torch
from datasets import Dataset
from torch.profiler import ProfilerActivity, profile

from core.kinds.train.estimate import estimate_memory, read_shape
from core.kinds.train.spec import TrainSpec
from core.training.callbacks import JobCallback
from core.training.data import Splits
from core.training.device import Device
from core.training.model import load_model, load_pretrained_tokenizer
from core.training.phases import Phase, sft_trainer
from tests.recording import RecordingContext

pytestmark = pytest.mark.slow  # trains the tiny model

TOLERANCE = 0.15
# (use_lora, gradient_checkpointing, batch_size, max_length): activations and logits are most
# of each peak (the tiny model's weights are a few MB).
SHAPES = [
    (True, False, 4, 512),
    (True, True, 4, 512),
    (False, True, 8, 256),
]


def peak_tensor_bytes(run) -> int:
    """Peak bytes of CPU tensors allocated while `run()` runs, above what was allocated before:
    the running sum of the profiler's allocation and free records, in their order."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        run()
    events = prof.profiler.kineto_results.events()  # raw: prof.events() folds them into ops
    records = [e for e in events if e.name() == "[memory]" and e.device_type().name == "CPU"]
    records.sort(key=lambda e: e.start_ns())  # stable: records of one nanosecond keep their order
    alive = peak = 0
    for record in records:
        alive += record.nbytes()
        peak = max(peak, alive)
    return peak


def measured_peak(tiny_model, tmp_path, spec: TrainSpec) -> int:
    device = Device("cpu", "fp32")
    tokenizer = load_pretrained_tokenizer(tiny_model)
    model = load_model(tiny_model, device, spec, adapter=None)
    rows = random.Random(0)
    ids = [[rows.randrange(20, len(tokenizer)) for _ in range(spec.max_length)] for _ in range(16)]
    splits = Splits(train=Dataset.from_dict({"input_ids": ids}), validation=None)
    phase = Phase("sft", tmp_path / "out", splits, (0.0, 1.0), resume_from=None)
    ctx = RecordingContext(tmp_path)
    callback = JobCallback(ctx, "sft", phase.span)
    trainer = sft_trainer(model, tokenizer, spec, device, phase, callback, assistant_only=False)
    resident = {
        t.untyped_storage().data_ptr(): t.untyped_storage().nbytes()
        for t in model.state_dict().values()
    }
    return sum(resident.values()) + peak_tensor_bytes(trainer.train)


@pytest.mark.parametrize(("use_lora", "checkpointing", "batch_size", "max_length"), SHAPES)
def test_the_estimate_is_within_15_percent_of_the_measured_peak(
    tiny_model, tmp_path, use_lora, checkpointing, batch_size, max_length
):
    torch.manual_seed(0)
    spec = TrainSpec(
        kind="train",
        phase="sft",
        allow_cpu=True,
        use_lora=use_lora,
        gradient_checkpointing=checkpointing,
        batch_size=batch_size,
        max_length=max_length,
        grad_accum=1,
        max_steps=2,
        warmup_steps=0,
        eval_strategy="no",
        save_steps=1000,
        logging_steps=1,
        assistant_only_loss=False,
    )
    measured = measured_peak(tiny_model, tmp_path, spec)
    estimate = estimate_memory(read_shape(tiny_model), spec, precision="fp32")
    print(f"measured {measured / 2**20:.1f} MiB, estimate {estimate.as_dict()}")
    assert abs(estimate.total - measured) <= TOLERANCE * measured, (measured, estimate)
