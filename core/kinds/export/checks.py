"""What an export submission must pass: the model (and adapter) on disk."""

from pathlib import Path

from core.fence import InputProblem
from core.kinds.base import missing_files, outside
from core.kinds.export.spec import ExportSpec

NEEDED: dict[str, str | None] = {"model_path": "config.json", "adapter_path": "adapter_config.json"}


def problems(spec: ExportSpec, workspace: Path, produced: set[str]) -> list[InputProblem]:
    """Paths in the workspace; the model (and adapter) on disk unless an earlier step makes it."""
    found = outside(spec, workspace, ["model_path", "adapter_path", "output_dir"])
    return found + missing_files(spec, workspace, NEEDED, {p.param for p in found}, produced)
