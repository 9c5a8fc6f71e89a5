"""`validate_reasoning`, seed step 5: does the exported model keep the THINK contract?"""

from typing import Any

from core.kinds.base import Kind
from core.kinds.validate_reasoning import checks
from core.kinds.validate_reasoning.examples import EXAMPLES
from core.kinds.validate_reasoning.spec import ValidateReasoningSpec


def link(section: ValidateReasoningSpec, sections: dict[str, Any], steps: list[str]) -> None:
    """In a workflow, validation runs the files the export step writes (under transformers,
    the model the train step exports); by default the quants it validates are those of
    Q8_0 and F16 the export writes, else the export's first."""
    if "train" in steps and not {"model_path", "adapter_path"} & section.model_fields_set:
        section.model_path, section.adapter_path = sections["train"].exported_model()
    if "export" not in steps or section.runtime != "llama_cpp":
        return
    export = sections["export"]
    if "gguf_dir" not in section.model_fields_set:
        section.gguf_dir = export.target_dir()
    if "quants" not in section.model_fields_set:
        section.quants = [q for q in section.quants if q in export.quants] or export.quants[:1]
    elif missing := [q for q in section.quants if q not in export.quants]:
        raise ValueError(
            f"validate_reasoning.quants {', '.join(missing)} not written by the export step "
            f"(export.quants: {', '.join(export.quants)})"
        )


def reports(_section: ValidateReasoningSpec, _succeeded: bool, result: Any) -> dict[str, Any]:
    """The summary, also when the model failed the contract (the report is the point)."""
    return {"reasoning": result.get("files", {}).get("summary")} if result else {}


KIND = Kind(
    ValidateReasoningSpec,
    "gpu",
    "core.kinds.validate_reasoning.runner:run",
    EXAMPLES,
    problems=checks.problems,
    step=True,
    link=link,
    section_doc="`gguf_dir` and `quants` default to what the export step writes (its Q8_0 and "
    "F16 files), `model_path` (and `adapter_path`) to the model the train step exports",
    reports=reports,
)
