"""Where each stage reads and writes; every output is published atomically (`core.publish`):
a killed stage leaves the previous complete output in place."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.errors import JobFailure
from core.pipeline.layout import DAPT_FOLDER, SFT_FOLDER
from core.publish import publishing

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class PipelinePaths:
    """The folders of one build, resolved inside the workspace by the caller."""

    workspace: Path
    source_dir: Path
    model_path: Path
    output_dir: Path
    interim_dir: Path
    input_roots: tuple[Path, ...] = ()  # where the inputs may lie besides (C64FT_INPUT_ROOTS)

    def interim(self, name: str) -> Path:
        return self.interim_dir / name

    @property
    def dapt_dir(self) -> Path:
        return self.output_dir / DAPT_FOLDER

    @property
    def sft_dir(self) -> Path:
        return self.output_dir / SFT_FOLDER


def write_table(path: Path, rows: list[dict[str, Any]], schema: pa.Schema) -> None:
    with publishing(path) as temporary:
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), temporary)


def require(path: Path, stage: str) -> Path:
    """`path`, which stage `stage` writes; a clear failure when that stage never ran."""
    if not path.exists():
        raise JobFailure(
            "stage_input_missing",
            f"{path.name} is missing from {path.parent}: stage {stage!r} has not run there",
            hint=f"Run the stages from {stage!r} on, or all stages (leave `stages` unset).",
            param="stages",
        )
    return path


def read_rows(path: Path, stage: str) -> list[dict[str, Any]]:
    return pq.read_table(require(path, stage)).to_pylist()


def write_json(path: Path, data: Any) -> None:
    with publishing(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path, stage: str) -> Any:
    return json.loads(require(path, stage).read_text())
