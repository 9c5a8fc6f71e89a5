"""The throughput table: real (non-padding) tokens per second of a train configuration on a card,
as the GPU bench measured it (`bench/bench_gpu_train.py --record`). The dry run turns a matching
row into a time estimate. core/kinds/train/throughput.json ships with the package; the setting
C64FT_THROUGHPUT_TABLE points at another file (the one a site's bench runs fill)."""

import json
from pathlib import Path
from typing import Any

from core.config import get_settings
from core.kinds.train.spec import TrainSpec

DEFAULT_TABLE = Path(__file__).with_name("throughput.json")
RECORD_COMMAND = "python bench/bench_gpu_train.py --record core/kinds/train/throughput.json"


class TableProblem(Exception):
    """The table cannot be read: its path and why."""


def table_path() -> Path:
    return get_settings().throughput_table or DEFAULT_TABLE


def load_rows(path: Path | None = None) -> list[dict[str, Any]]:
    """The table's rows; TableProblem when the file is missing or not a table."""
    path = path or table_path()
    try:
        rows = json.loads(path.read_text())["rows"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TableProblem(f"throughput table {path}: unreadable ({exc})") from exc
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise TableProblem(f"throughput table {path}: `rows` is not a list of objects")
    return rows


def options(spec: TrainSpec) -> dict[str, Any]:
    """The options of a spec a row must share: LoRA or full, packing, Liger kernels."""
    return {
        "use_lora": spec.use_lora,
        "packing": spec.packing,
        "liger": spec.use_liger_kernel,
    }


def matching_row(
    rows: list[dict[str, Any]], spec: TrainSpec, card: str, layers: int
) -> dict[str, Any] | None:
    """The row measured on `card` with the spec's options and the model's depth, the closest in
    max_length, then in batch_size; None when no row shares card, options and depth."""
    wanted = options(spec)
    fitting = [
        row
        for row in rows
        if row.get("card") == card
        and row.get("layers") == layers
        and all(row.get(key) == value for key, value in wanted.items())
        and isinstance(row.get("tokens_per_second"), int | float)
        and row["tokens_per_second"] > 0
    ]
    if not fitting:
        return None
    return min(
        fitting,
        key=lambda row: (
            abs(int(row.get("max_length", 0)) - spec.max_length),
            abs(int(row.get("batch_size", 0)) - spec.batch_size),
        ),
    )


def describe(row: dict[str, Any]) -> str:
    """One row, as the dry run names it."""
    flags = ", ".join(
        f"{key} {str(row.get(key)).lower()}" for key in ("use_lora", "packing", "liger")
    )
    return (
        f"{row['card']}, {row.get('model', '?')} {row.get('layers')} layers, {flags}, max_length "
        f"{row.get('max_length')}, batch_size {row.get('batch_size')}: "
        f"{row['tokens_per_second']:,.0f} tokens/s (measured {row.get('measured_at', '?')})"
    )
