"""What a validate_reasoning submission must pass: what it runs on, on disk.

Under llama_cpp: an export folder whose export.json lists every quant asked for; under
transformers: the model (and adapter).
"""

from pathlib import Path

from core.fence import InputProblem
from core.kinds.base import missing_files, outside
from core.kinds.export.files import REPORT, exported_files
from core.kinds.validate_reasoning.spec import ValidateReasoningSpec
from core.specs.paths import resolve_input

NEEDED: dict[str, str | None] = {"chat_template_path": None}  # a file itself
HF_NEEDED: dict[str, str | None] = {
    "model_path": "config.json",
    "adapter_path": "adapter_config.json",
}


def problems(
    spec: ValidateReasoningSpec, workspace: Path, produced: set[str]
) -> list[InputProblem]:
    """Paths in the workspace; the model or the exported files on disk unless an earlier
    step makes them."""
    found = outside(spec, workspace, ["model_path", "adapter_path", "chat_template_path"])
    found += outside(spec, workspace, ["gguf_dir", "output_dir"])
    refused = {p.param for p in found}
    needed = NEEDED | (HF_NEEDED if spec.runtime == "transformers" else {})
    found += missing_files(spec, workspace, needed, refused, produced)
    if spec.runtime == "llama_cpp" and "gguf_dir" not in refused:
        found += _export_problems(spec, workspace, produced)
    return found


def _export_problems(
    spec: ValidateReasoningSpec, workspace: Path, produced: set[str]
) -> list[InputProblem]:
    """The export folder's export.json, listing a file of every quant asked for."""
    folder = spec.gguf_source()
    if folder in produced:
        return []
    try:
        exported = exported_files(resolve_input(workspace, folder))
    except ValueError:
        message = f"{folder} holds no export (no readable {REPORT}): run an export job first"
        return [InputProblem("gguf_dir", message)]
    if missing := [quant for quant in spec.quants if quant not in exported]:
        message = f"{folder} has no {', '.join(missing)} file (exported: {sorted(exported)})"
        return [InputProblem("quants", message)]
    return []
