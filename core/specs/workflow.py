"""Spec of `workflow`: the seed's steps in order, each as a child job, stopping at a failure."""

from typing import Literal, Self, get_args

from pydantic import Field, model_validator

from core.specs.base import SpecBase
from core.specs.build_datasets import BuildDatasetsSpec
from core.specs.gpu_smoke import GpuSmokeSpec
from core.specs.train import TrainSpec
from core.specs.validate_reasoning import ValidateReasoningSpec

Step = Literal["gpu_smoke", "build_datasets", "train", "validate_reasoning"]
STEPS: tuple[Step, ...] = get_args(Step)


# A section may leave out its `kind` (it is the section's name): the section models say so,
# so that the OpenAPI document does not require it there while a job's own spec does.
class GpuSmokeSection(GpuSmokeSpec):
    kind: Literal["gpu_smoke"] = "gpu_smoke"


class BuildDatasetsSection(BuildDatasetsSpec):
    kind: Literal["build_datasets"] = "build_datasets"


class TrainSection(TrainSpec):
    kind: Literal["train"] = "train"


class ValidateReasoningSection(ValidateReasoningSpec):
    kind: Literal["validate_reasoning"] = "validate_reasoning"


class WorkflowSpec(SpecBase):
    kind: Literal["workflow"] = Field(
        description="Run the seed's steps in order as child jobs, stopping at the first failure."
    )
    steps: list[Step] = Field(
        default_factory=lambda: list(STEPS),
        min_length=1,
        description="Which steps run, in this order (each at most once).",
    )
    gpu_smoke: GpuSmokeSection | None = Field(None, description="Spec of the gpu_smoke step.")
    build_datasets: BuildDatasetsSection | None = Field(
        None,
        description="Spec of the build_datasets step; `model_path` defaults to the train "
        "step's (its tokenizer cuts the DAPT text).",
    )
    train: TrainSection | None = Field(
        None,
        description="Spec of the train step; `dapt_dir` and `sft_dir` default to what the "
        "build_datasets step writes.",
    )
    validate_reasoning: ValidateReasoningSection | None = Field(
        None,
        description="Spec of the validate_reasoning step; `model_path` (and `adapter_path`) "
        "default to the model the train step exports.",
    )

    @model_validator(mode="after")
    def _fill_sections(self) -> Self:
        if len(set(self.steps)) != len(self.steps):
            raise ValueError("steps must be distinct")
        self.steps = sorted(self.steps, key=STEPS.index)  # the seed's order, whatever was given
        if extra := [s for s in STEPS if getattr(self, s) is not None and s not in self.steps]:
            raise ValueError(f"section(s) {', '.join(extra)} given but not in steps")
        smoke = self.gpu_smoke or GpuSmokeSection()
        build = self.build_datasets or BuildDatasetsSection()
        train = self.train or TrainSection()
        validate = self.validate_reasoning or ValidateReasoningSection()
        if "train" in self.steps and "model_path" not in build.model_fields_set:
            build.model_path = train.model_path
        if "build_datasets" in self.steps:
            for field, folder in (("dapt_dir", "dapt"), ("sft_dir", "sft")):
                if field not in train.model_fields_set:
                    setattr(train, field, f"{build.output_dir}/{folder}")
        if "train" in self.steps and not {"model_path", "adapter_path"} & validate.model_fields_set:
            validate.model_path, validate.adapter_path = train.exported_model()
        sections = {
            "gpu_smoke": smoke,
            "build_datasets": build,
            "train": train,
            "validate_reasoning": validate,
        }
        for step, section in sections.items():  # the steps that run, every field filled in
            setattr(self, step, section if step in self.steps else None)
        return self

    def step_specs(self) -> list[SpecBase]:
        """The spec of each step that runs, in order (every section filled in by validation)."""
        return [getattr(self, step) for step in self.steps]
