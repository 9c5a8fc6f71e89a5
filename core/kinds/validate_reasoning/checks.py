"""What a validate_reasoning submission must pass: the model (and adapter) on disk."""

from pathlib import Path

from core.fence import InputProblem
from core.kinds.base import outside
from core.kinds.validate_reasoning.spec import ValidateReasoningSpec
from core.specs.paths import resolve

NEEDED: dict[str, str | None] = {"model_path": "config.json", "adapter_path": "adapter_config.json"}
NEEDED["chat_template_path"] = None  # a file itself


def problems(
    spec: ValidateReasoningSpec, workspace: Path, produced: set[str]
) -> list[InputProblem]:
    """Paths in the workspace; the model (and adapter) on disk unless an earlier step makes it."""
    params = ["model_path", "adapter_path", "chat_template_path", "output_dir"]
    found = outside(spec, workspace, params)
    inside = set(params) - {p.param for p in found}
    for param, marker in NEEDED.items():
        value = getattr(spec, param)
        if value is None or param not in inside or value in produced:
            continue
        path = resolve(workspace, value)
        if not (path / marker if marker else path).is_file():
            what = f"has no {marker}" if marker else "is not a file"
            found.append(InputProblem(param, f"{value} {what} in the workspace {workspace}"))
    return found
