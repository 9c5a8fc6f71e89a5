"""What a train job would do, worked out in seconds without torch (`POST /jobs?dry_run=true`):
rows and tokens per split, optimizer steps per phase, precision, packing and LoRA targets."""

import bisect
import json
import math
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from tokenizers import Tokenizer

from core.errors import JobFailure
from core.kinds.train.spec import EVAL_SHARE, LORA_TARGETS, TrainSpec
from core.pipeline.build_marker import check_partner, check_same_build
from core.specs.paths import resolve_input
from core.tokenizer import load_tokenizer

SPLITS = ("train", "validation")
MESSAGE_OVERHEAD = 2  # the control tokens around each message ([INST]…[/INST], content + EOS)


class PlanProblem(Exception):
    """The first thing that would make the job fail."""


def _texts(path: Path, column: str) -> list[Any]:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        if column not in table.column_names:
            raise PlanProblem(f"{path.name} has no column {column!r}")
        return table.column(column).to_pylist()
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        try:
            rows.append(json.loads(line)[column])
        except (ValueError, KeyError, TypeError) as exc:
            raise PlanProblem(f"{path.name} line {number}: no {column!r} ({exc})") from exc
    return rows


def _lengths(tokenizer: Tokenizer, rows: list[Any], chat: bool, max_length: int) -> list[int]:
    if chat:
        texts = [m["content"] for row in rows for m in row]
        counts = [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
        lengths, at = [], 0
        for row in rows:
            lengths.append(1 + sum(counts[at : at + len(row)]) + MESSAGE_OVERHEAD * len(row))
            at += len(row)
    else:
        lengths = [len(e.ids) for e in tokenizer.encode_batch(rows, add_special_tokens=False)]
    return [min(n, max_length) for n in lengths]


def effective_batch_size(spec: TrainSpec) -> int:
    """Sequences per optimizer step: each of the `gpus` processes takes its own batches."""
    return spec.batch_size * spec.grad_accum * spec.gpus


def optimizer_steps(spec: TrainSpec, rows: int) -> int:
    """The optimizer steps a phase takes on `rows` training rows, counted as the Trainer does:
    the rows are shared among the `gpus` processes, and a last short accumulation is a step of
    its own."""
    if spec.max_steps > 0:
        return spec.max_steps
    batches = math.ceil(rows / (spec.batch_size * spec.gpus))  # per process, per epoch
    per_epoch = max(1, math.ceil(batches / spec.grad_accum))
    return math.ceil(per_epoch * spec.epochs)


def packed_sequences(lengths: list[int], capacity: int) -> int:
    """How many sequences best-fit-decreasing packing (TRL's `bfd`) makes of examples of these
    lengths (each already cut at `capacity`): each example, longest first, goes into the open
    sequence with the least room that still holds it, else into a new one."""
    rooms: list[int] = []  # the room left in each open sequence, ascending
    count = 0
    for length in sorted(lengths, reverse=True):
        at = bisect.bisect_left(rooms, length)
        if at < len(rooms):
            room = rooms.pop(at) - length
        else:
            count, room = count + 1, capacity - length
        if room:
            bisect.insort(rooms, room)
    return count


def packing_mode(spec: TrainSpec) -> str:
    """What packing does to each phase the spec trains."""
    if not spec.packing:
        return "off: each batch is padded to its longest example"
    modes = {
        "sft": f"SFT examples packed best-fit into sequences of up to {spec.max_length} tokens "
        "(batch_size counts those)",
        "dapt": "DAPT batches flattened into one row",
    }
    return (
        "padding-free: "
        + "; ".join(modes[p] for p in spec.phases)
        + f"; position ids restart at each example, no attention across examples "
        f"({spec.attn_implementation})"
    )


def _carve(splits: dict[str, Any]) -> int:
    """Without a validation split the job carves one from train, as `load_splits` does: record
    its rows, and return the training rows left."""
    rows = splits["train"]["rows"]
    if splits.get("validation", {}).get("rows") or rows < 2:
        return rows
    carved = math.ceil(rows * EVAL_SHARE)
    splits["validation"] = {"rows": carved, "carved_from_train": True}
    return rows - carved


def plan(spec: TrainSpec, workspace: Path) -> dict[str, Any]:
    """Per phase: rows and tokens per split and optimizer steps; raises PlanProblem."""
    try:
        tokenizer = load_tokenizer(resolve_input(workspace, spec.model_path))
    except JobFailure as exc:
        raise PlanProblem(exc.message) from exc
    folders = {
        p: resolve_input(workspace, spec.dapt_dir if p == "dapt" else spec.sft_dir)
        for p in spec.phases
    }
    try:  # what `load_splits` refuses, and with phase both the very pair the job reads
        for folder in folders.values():
            check_partner(folder)
        if len(folders) == 2:
            check_same_build(folders["dapt"], folders["sft"])
    except JobFailure as exc:
        raise PlanProblem(f"{exc.message}. {exc.hint}") from exc
    phases: dict[str, Any] = {}
    for phase, folder in folders.items():
        suffix, column = (".parquet", "text") if phase == "dapt" else (".jsonl", "messages")
        splits: dict[str, Any] = {}
        train_lengths: list[int] = []
        for split in SPLITS:
            path = folder / f"{split}{suffix}"
            if not path.is_file():
                if split == "train":
                    raise PlanProblem(f"{path} is missing: run build_datasets first")
                continue
            lengths = _lengths(tokenizer, _texts(path, column), phase == "sft", spec.max_length)
            splits[split] = {"rows": len(lengths), "tokens": sum(lengths)}
            train_lengths = lengths if split == "train" else train_lengths
        if not splits["train"]["rows"]:
            raise PlanProblem(f"{folder}/train{suffix} has no rows")
        rows = splits["train"]["rows"]
        train_rows = _carve(splits) if spec.eval_strategy != "no" else rows
        found: dict[str, Any] = {"splits": splits}
        if phase == "sft" and spec.packing:  # what is left after the carve, packed alike
            packed = packed_sequences(train_lengths, spec.max_length)
            train_rows = found["packed_sequences"] = math.ceil(packed * train_rows / rows)
        phases[phase] = found | {"optimizer_steps": optimizer_steps(spec, train_rows)}
    return {
        "phases": phases,
        "processes": spec.gpus,
        "distributed": spec.distributed if spec.gpus > 1 else None,
        "effective_batch_size": effective_batch_size(spec),
        "precision": f"{spec.precision} on a GPU (bf16 falls back to fp16 where unsupported); "
        + ("fp32 on a CPU" if spec.allow_cpu else "no CPU fallback (allow_cpu is false)"),
        "packing": packing_mode(spec),
        "attn_implementation": spec.attn_implementation,
        "lora_targets": LORA_TARGETS[spec.lora_scope] if spec.use_lora else None,
    }
