"""Which checkpoints a phase may resume from: only complete ones.

The Trainer writes a checkpoint folder file by file (weights, optimizer, scheduler, RNG state,
and `trainer_state.json` last), so a process killed mid-save leaves a folder that looks like a
checkpoint but cannot be resumed. Such folders are renamed aside (never deleted: they may be
all that is left of a run) and the newest complete one is used instead.
"""

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

from core.context import RunContext

CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
WEIGHTS = ("adapter_model.safetensors", "model.safetensors", "model.safetensors.index.json")
CONFIGS = ("adapter_config.json", "config.json")
OPTIMIZER_STATE = ("optimizer.pt", "optimizer.bin")  # the latter under FSDP
SCHEDULER_STATE = "scheduler.pt"
STATE_FILE = "trainer_state.json"


def safetensors_problem(path: Path) -> str | None:
    """Why the safetensors file at `path` is unreadable (missing, or cut short), else None."""
    try:  # safetensors checks the header, and that the file holds every tensor it lists
        with safe_open(str(path), framework="pt"):
            return None
    except (OSError, SafetensorError) as exc:
        return f"{path.name} is unreadable or cut short ({exc})"


def weights_problem(folder: Path) -> str | None:
    """Why the model or adapter weights in `folder` cannot be loaded, else None."""
    present = [name for name in WEIGHTS if (folder / name).is_file()]
    if not present:
        return "no weights file"
    if present[0].endswith(".index.json"):
        try:
            shards = set(json.loads((folder / present[0]).read_text())["weight_map"].values())
        except (OSError, ValueError, KeyError) as exc:
            return f"{present[0]} is unreadable ({type(exc).__name__})"
        problems = [safetensors_problem(folder / shard) for shard in sorted(shards)]
        return next((p for p in problems if p), None)
    return safetensors_problem(folder / present[0])


def _json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def problem(folder: Path) -> str | None:
    """Why `folder` is not a complete checkpoint (one the Trainer can resume from), else None."""
    state = _json(folder / STATE_FILE)
    if state is None or not isinstance(state.get("global_step"), int):
        return f"{STATE_FILE} is missing or unreadable"
    if not any((folder / name).is_file() for name in CONFIGS):
        return "no config.json or adapter_config.json"
    broken = [p.name for p in sorted(folder.glob("*.json")) if _json(p) is None]
    if broken:  # a 0-byte or cut-short config, tokenizer or index
        return f"{', '.join(broken)} unreadable"

    def present(name: str) -> bool:
        return (folder / name).is_file() and (folder / name).stat().st_size > 0

    missing = [] if any(map(present, OPTIMIZER_STATE)) else ["optimizer.pt"]
    missing += [] if present(SCHEDULER_STATE) else [SCHEDULER_STATE]
    if missing:
        return f"{', '.join(missing)} missing or empty"
    return weights_problem(folder)


def trainer_state(folder: Path) -> dict[str, Any]:
    """The `trainer_state.json` of a complete checkpoint."""
    return _json(folder / STATE_FILE) or {}


def set_aside(folder: Path, reason: str, ctx: RunContext) -> Path:
    """Rename an incomplete checkpoint to a hidden name beside it, and say so."""
    target = folder.with_name(f".incomplete-{folder.name}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}")
    folder.rename(target)
    ctx.event(
        f"{folder.name} is incomplete ({reason}): set aside as {target.name}; "
        "resuming from the newest complete checkpoint",
        level="warning",
        data={"checkpoint": folder.name, "set_aside_as": target.name},
    )
    return target


def latest_checkpoint(output_dir: Path, ctx: RunContext) -> Path | None:
    """The newest complete `checkpoint-N` in `output_dir`; newer incomplete ones are set aside."""
    if not output_dir.is_dir():
        return None
    found = [(int(m[1]), p) for p in output_dir.iterdir() if (m := CHECKPOINT.match(p.name))]
    for _, folder in sorted(found, reverse=True):
        if not folder.is_dir():
            continue
        reason = problem(folder)
        if reason is None:
            return folder
        set_aside(folder, reason, ctx)
    return None


def reached_end(folder: Path, max_steps: int, epochs: float) -> bool:
    """Whether the checkpoint at `folder` already holds every step the spec asks for: resuming
    from it would train nothing (and the Trainer would still take one more step)."""
    state = trainer_state(folder)
    step = int(state.get("global_step") or 0)
    if max_steps > 0:
        return step >= max_steps
    return float(state.get("epoch") or 0.0) >= epochs - 1e-6
