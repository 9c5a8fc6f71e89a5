"""A train job's metric points as CSV: what `GET /jobs/{id}/metrics.csv` streams and what the
job writes as `metrics.csv` beside its outputs, one function for both so they never differ."""

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from core.publish import publishing

COLUMNS = (
    "id",
    "ts",
    "phase",
    "step",
    "epoch",
    "loss",
    "learning_rate",
    "grad_norm",
    "eval_loss",
    "tokens_per_second",
)
FILE_NAME = "metrics.csv"
_TIME = TypeAdapter(datetime)


def _cell(value: Any) -> Any:
    """A time as the JSON routes write it (ISO 8601, `Z` for UTC); None as an empty cell."""
    return _TIME.dump_python(value, mode="json") if isinstance(value, datetime) else value


def csv_lines(points: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The header, then one line per point (a metric row or a dict with the same names), as
    they come: a long job's points are read and sent a page at a time, never all at once."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rows = chain([COLUMNS], ([_cell(point.get(c)) for c in COLUMNS] for point in points))
    for cells in rows:
        writer.writerow(cells)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def write_csv(path: Path, points: Iterable[Mapping[str, Any]]) -> None:
    """Write the points to `path` atomically: a re-run or a crash never leaves half a file."""
    with publishing(path) as temporary, temporary.open("w", newline="") as file:
        file.writelines(csv_lines(points))
