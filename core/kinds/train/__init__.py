"""`train`, seed step 4: DAPT then SFT with LoRA; adapters, checkpoints, the merged model."""

from typing import Any

from core.kinds.base import Kind
from core.kinds.train import checks
from core.kinds.train.examples import EXAMPLES
from core.kinds.train.fit import fit_checks
from core.kinds.train.spec import TrainSpec


def link(section: TrainSpec, sections: dict[str, Any], steps: list[str]) -> None:
    """In a workflow, train reads what the build_datasets step writes."""
    if "build_datasets" not in steps:
        return
    build = sections["build_datasets"]
    for field, folder in (("dapt_dir", build.dapt_dir), ("sft_dir", build.sft_dir)):
        if field not in section.model_fields_set:
            setattr(section, field, folder)


def reports(_section: TrainSpec, succeeded: bool, result: dict[str, Any] | None) -> dict:
    return {"model": (result or {}).get("artifacts")} if succeeded else {}


KIND = Kind(
    TrainSpec,
    "gpu",
    "core.kinds.train.runner:run",
    EXAMPLES,
    problems=checks.problems,
    notes=checks.notes,
    fit=fit_checks,
    step=True,
    link=link,
    section_doc="`dapt_dir` and `sft_dir` default to what the build_datasets step writes",
    reports=reports,
)
