"""`export`, the start of seed step 5: the runtime artifacts (GGUF files, Ollama Modelfiles)
that reasoning validation then checks."""

from typing import Any

from core.kinds.base import Kind
from core.kinds.export import checks
from core.kinds.export.examples import EXAMPLES
from core.kinds.export.spec import ExportSpec


def link(section: ExportSpec, sections: dict[str, Any], steps: list[str]) -> None:
    """In a workflow, export converts the model the train step exports."""
    if "train" in steps and not {"model_path", "adapter_path"} & section.model_fields_set:
        section.model_path, section.adapter_path = sections["train"].exported_model()


def reports(_section: ExportSpec, succeeded: bool, result: dict[str, Any] | None) -> dict:
    return {"gguf": (result or {}).get("output_dir")} if succeeded else {}


KIND = Kind(
    ExportSpec,
    "cpu",
    "core.kinds.export.runner:run",
    EXAMPLES,
    problems=checks.problems,
    step=True,
    link=link,
    section_doc="`model_path` (and `adapter_path`) default to the model the train step exports",
    reports=reports,
)
