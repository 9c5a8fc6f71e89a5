"""`validate_reasoning`, seed step 5: does the exported model keep the THINK contract?"""

from typing import Any

from core.kinds.base import Kind
from core.kinds.validate_reasoning import checks
from core.kinds.validate_reasoning.examples import EXAMPLES
from core.kinds.validate_reasoning.spec import ValidateReasoningSpec


def link(section: ValidateReasoningSpec, sections: dict[str, Any], steps: list[str]) -> None:
    """In a workflow, validation loads the model the train step exports."""
    if "train" in steps and not {"model_path", "adapter_path"} & section.model_fields_set:
        section.model_path, section.adapter_path = sections["train"].exported_model()


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
    section_doc="`model_path` (and `adapter_path`) default to the model the train step exports",
    reports=reports,
)
