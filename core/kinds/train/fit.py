"""The dry run's `memory` and `time` checks of a train spec: its estimated peak GPU memory
(core/kinds/train/estimate.py) against the GPUs the live workers of its queue reported, and its
duration from the throughput table (core/kinds/train/throughput.py). Torch-free: the API runs it.
The caller (core/preflight.py) reads the workers' GPUs from the job database and passes them in.
"""

import math
from pathlib import Path
from typing import Any

from core.kinds.base import Check
from core.kinds.train import throughput
from core.kinds.train.estimate import (
    ModelShape,
    estimate_memory,
    largest_batch_size,
    read_shape,
)
from core.kinds.train.spec import TrainSpec
from core.specs.paths import resolve_input

GIB = 1 << 30
HOUR_S = 3600.0
# (worker hostname, {"id", "name", "memory_bytes"}): a GPU a live worker of the queue reported
Gpu = tuple[str, dict[str, Any]]


def gpu_precision(spec: TrainSpec) -> str:
    """The precision the weights take on a GPU (auto and bf16: bf16; the fp16 fallback of a GPU
    without bf16 takes as much)."""
    return "fp16" if spec.precision == "fp16" else "bf16"


def _gib(size: float) -> str:
    return f"{size / GIB:.1f} GiB"


def fit_checks(
    spec: TrainSpec, workspace: Path, gpus: list[Gpu], plan: dict[str, Any] | None
) -> list[Check]:
    """The `memory` check and, when the model's shape is readable, the `time` check."""
    try:
        shape = read_shape(resolve_input(workspace, spec.model_path))
    except ValueError as exc:
        message = f"no memory estimate: {exc}"
        return [Check(name="memory", status="warn", message=message)]
    return [memory_check(spec, shape, gpus), time_check(spec, shape, gpus, plan)]


def memory_check(spec: TrainSpec, shape: ModelShape, gpus: list[Gpu]) -> Check:
    """Estimated peak memory per device; whether it fits on the smallest GPU reported, and the
    largest batch_size that does. Not fitting is a failure with the fix."""
    precision = gpu_precision(spec)
    estimate = estimate_memory(shape, spec, precision=precision)
    other = not spec.gradient_checkpointing  # the same spec with it toggled, for comparison
    toggled = estimate_memory(shape, spec, precision=precision, gradient_checkpointing=other).total
    data: dict[str, Any] = {
        "estimate": estimate.as_dict(),
        "total_with_gradient_checkpointing": toggled if other else estimate.total,
        "total_without_gradient_checkpointing": estimate.total if other else toggled,
        "precision": precision,
        "batch_size": spec.batch_size,
        "gradient_checkpointing": spec.gradient_checkpointing,
    }
    said = (
        f"estimated peak {_gib(estimate.total)} per device ({precision}, batch_size "
        f"{spec.batch_size} x max_length {spec.max_length}, gradient_checkpointing "
        f"{str(spec.gradient_checkpointing).lower()}; {_gib(toggled)} with it "
        f"{'on' if other else 'off'})"
    )
    if spec.gpus > 1 and spec.distributed == "fsdp":
        said += "; fsdp shards the weights and optimizer state, so this is an upper bound"
    known = [(host, gpu) for host, gpu in gpus if gpu.get("memory_bytes")]
    if not known:
        message = (
            f"{said}; whether it fits is unknown: no live worker of the job's queue reported its "
            "GPUs (workers record them at start; C64FT_GPU_INVENTORY declares them where the "
            "probe fails)"
        )
        return Check(name="memory", status="warn", message=message, data=data)
    host, smallest = min(known, key=lambda item: item[1]["memory_bytes"])
    budget = int(smallest["memory_bytes"])
    largest = largest_batch_size(shape, spec, budget, precision=precision)
    data |= {"gpu": smallest | {"worker": host}, "largest_batch_size": largest}
    on = f"{smallest['name']} ({_gib(budget)}, the smallest GPU of the live workers)"
    if estimate.total <= budget:
        message = f"{said}: fits on {on}; the largest batch_size that fits: {largest}"
        return Check(name="memory", status="pass", message=message, data=data)
    hint = _hint(spec, shape, budget, precision, largest)
    data["hint"] = hint
    message = f"{said}: predicted not to fit on {on}. {hint}"
    return Check(name="memory", status="fail", message=message, data=data)


def _hint(spec: TrainSpec, shape: ModelShape, budget: int, precision: str, largest: int) -> str:
    """What to change: a smaller batch with more accumulation, and gradient checkpointing."""
    effective = spec.batch_size * spec.grad_accum
    fixes = []
    if largest >= 1:
        accum = math.ceil(effective / largest)
        fixes.append(
            f"lower batch_size to {largest} and raise grad_accum to {accum} (the same "
            f"effective batch of {effective} per device)"
        )
    else:
        fixes.append(
            "even batch_size 1 does not fit: lower batch_size and raise grad_accum only once "
            "max_length is lower"
        )
    if not spec.gradient_checkpointing:
        recomputed = spec.model_copy(update={"gradient_checkpointing": True})
        with_checkpointing = largest_batch_size(shape, recomputed, budget, precision=precision)
        fixes.append(
            "enable gradient_checkpointing (it recomputes activations: slower, less memory; "
            + (
                f"batch_size up to {with_checkpointing} fits then)"
                if with_checkpointing
                else "not enough alone here)"
            )
        )
    else:
        fixes.append("gradient_checkpointing is already on: lower max_length or use a larger GPU")
    return "Fix: " + "; or ".join(fixes) + "."


def _phase_tokens(spec: TrainSpec, phase: dict[str, Any]) -> float:
    """Real tokens a phase trains on: its sequences (optimizer steps x effective batch under
    max_steps, else training rows x epochs) times the mean tokens of a training row."""
    splits = phase["splits"]
    rows, tokens = splits["train"]["rows"], splits["train"]["tokens"]
    mean = tokens / max(rows, 1)
    validation = splits.get("validation", {})
    train_rows = rows - (validation.get("rows", 0) if validation.get("carved_from_train") else 0)
    if spec.max_steps > 0:
        sequences = spec.max_steps * spec.batch_size * spec.grad_accum * spec.gpus
    else:
        sequences = math.ceil(train_rows * spec.epochs)
    return sequences * mean


def time_check(
    spec: TrainSpec, shape: ModelShape, gpus: list[Gpu], plan: dict[str, Any] | None
) -> Check:
    """The training time from the throughput table's row for the card and options; says which
    row, or that none matched and how to fill the table."""
    path = throughput.table_path()
    try:
        rows = throughput.load_rows(path)
    except throughput.TableProblem as exc:
        return Check(name="time", status="warn", message=f"no time estimate: {exc}")
    by_memory = sorted(gpus, key=lambda item: item[1].get("memory_bytes", 0))
    cards = list(dict.fromkeys(gpu["name"] for _host, gpu in by_memory if gpu.get("name")))
    found = [
        (card, row)
        for card in cards  # the smallest card first: the one the memory check judged
        if (row := throughput.matching_row(rows, spec, card, shape.layers))
    ]
    wanted = ", ".join(f"{k} {str(v).lower()}" for k, v in throughput.options(spec).items())
    if not found:
        where = f"on {' or '.join(cards)}" if cards else "(no live worker reported its GPU)"
        message = (
            f"no time estimate: the throughput table {path} has no row {where} for "
            f"{shape.layers} layers with {wanted}; fill it by running "
            f"`{throughput.RECORD_COMMAND}` on that card (or point C64FT_THROUGHPUT_TABLE at a "
            "table that has one)"
        )
        return Check(name="time", status="warn", message=message)
    card, row = found[0]
    if plan is None:
        message = f"throughput row found ({throughput.describe(row)}), but no token count yet"
        return Check(name="time", status="pass", message=message, data={"row": row})
    per_phase = {
        name: _phase_tokens(spec, phase) / (row["tokens_per_second"] * spec.gpus)
        for name, phase in plan["phases"].items()
    }
    total = sum(per_phase.values())
    phases = ", ".join(f"{name} {seconds / HOUR_S:.2f} h" for name, seconds in per_phase.items())
    message = (
        f"about {total / HOUR_S:.2f} h of training on {card} ({phases}; evaluation and saving "
        f"not counted{', assuming linear scaling over the gpus' if spec.gpus > 1 else ''}), from "
        f"the throughput row {throughput.describe(row)}"
    )
    data = {"seconds": round(total, 1), "phases_s": per_phase, "row": row, "table": str(path)}
    return Check(name="time", status="pass", message=message, data=data)
