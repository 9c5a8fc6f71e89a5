"""Job specs: the experiment config of each job kind, validated at the edge and saved with the job.

`JobSpec` is the discriminated union of every kind's spec (the body of `POST /jobs`); `KINDS`
says, for each kind, its spec model, its queue and where its runner lives (imported on first use,
so the API never imports torch).
"""

from dataclasses import dataclass
from typing import Annotated, Union

from pydantic import Field

from core.specs.base import SpecBase
from core.specs.build_datasets import BuildDatasetsSpec
from core.specs.gpu_smoke import GpuSmokeSpec
from core.specs.train import TrainSpec
from core.specs.validate_reasoning import ValidateReasoningSpec
from core.specs.workflow import WorkflowSpec


@dataclass(frozen=True)
class KindInfo:
    spec: type[SpecBase]
    queue: str  # "workflow": no Celery queue, its children run on theirs (core/workflow.py)
    runner: str | None  # "module:function", imported by the worker on first use


KINDS: dict[str, KindInfo] = {
    "gpu_smoke": KindInfo(GpuSmokeSpec, "gpu", "core.runners.gpu_smoke:run"),
    "build_datasets": KindInfo(BuildDatasetsSpec, "cpu", "core.runners.build_datasets:run"),
    "train": KindInfo(TrainSpec, "gpu", "core.runners.train:run"),
    "validate_reasoning": KindInfo(
        ValidateReasoningSpec, "gpu", "core.runners.validate_reasoning:run"
    ),
    "workflow": KindInfo(WorkflowSpec, "workflow", None),
}

JobSpec = Annotated[
    Union[GpuSmokeSpec, BuildDatasetsSpec, TrainSpec, ValidateReasoningSpec, WorkflowSpec],  # noqa: UP007
    Field(discriminator="kind"),
]

__all__ = [
    "KINDS",
    "JobSpec",
    "KindInfo",
    "SpecBase",
    "GpuSmokeSpec",
    "BuildDatasetsSpec",
    "TrainSpec",
    "ValidateReasoningSpec",
    "WorkflowSpec",
]
