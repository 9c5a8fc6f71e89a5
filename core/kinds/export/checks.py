"""What an export submission must pass: the model (and adapter) on disk."""

from pathlib import Path

from core.fence import InputProblem
from core.kinds.base import outside
from core.kinds.export.spec import ExportSpec
from core.specs.paths import resolve

NEEDED = {"model_path": "config.json", "adapter_path": "adapter_config.json"}


def problems(spec: ExportSpec, workspace: Path, produced: set[str]) -> list[InputProblem]:
    """Paths in the workspace; the model (and adapter) on disk unless an earlier step makes it."""
    params = ["model_path", "adapter_path", "output_dir"]
    found = outside(spec, workspace, params)
    inside = set(params) - {p.param for p in found}
    for param, marker in NEEDED.items():
        value = getattr(spec, param)
        if value is None or param not in inside or value in produced:
            continue
        if not (resolve(workspace, value) / marker).is_file():
            found.append(InputProblem(param, f"{value} has no {marker} in the workspace"))
    return found
