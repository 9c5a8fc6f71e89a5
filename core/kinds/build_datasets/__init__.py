"""`build_datasets`, seed step 3: C64 manuals → DAPT chunks and SFT chat examples."""

from typing import Any

from core.kinds.base import Kind
from core.kinds.build_datasets import checks
from core.kinds.build_datasets.examples import EXAMPLES
from core.kinds.build_datasets.spec import BuildDatasetsSpec
from core.pipeline.layout import REPORT_MD


def link(section: BuildDatasetsSpec, sections: dict[str, Any], steps: list[str]) -> None:
    """In a workflow, the train step's model cuts the DAPT text (its tokenizer)."""
    if "train" in steps and "model_path" not in section.model_fields_set:
        section.model_path = sections["train"].model_path


def reports(section: BuildDatasetsSpec, succeeded: bool, _result: Any) -> dict[str, Any]:
    return {"datasets": f"{section.output_dir}/{REPORT_MD}"} if succeeded else {}


KIND = Kind(
    BuildDatasetsSpec,
    "cpu",
    "core.kinds.build_datasets.runner:run",
    EXAMPLES,
    problems=checks.problems,
    notes=checks.notes,
    step=True,
    link=link,
    section_doc="`model_path` defaults to the train step's (its tokenizer cuts the DAPT text)",
    reports=reports,
)
