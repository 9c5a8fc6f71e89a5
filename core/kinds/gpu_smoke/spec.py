"""Spec of `gpu_smoke`, seed step 1: prove the accelerator works inside the worker."""

from typing import Literal

from pydantic import Field

from core.specs.base import SpecBase


class GpuSmokeSpec(SpecBase):
    kind: Literal["gpu_smoke"] = Field(description="Prove the worker's GPU works (seed step 1).")
    allow_cpu: bool = Field(
        False,
        description="Run the check on the CPU when the worker has no GPU, instead of failing "
        "with `no_gpu`.",
    )
    matrix_size: int = Field(
        1024, ge=16, le=16384, description="Side of the square matrices multiplied by the check."
    )
    burn_in_s: float = Field(
        0,
        ge=0,
        le=86_400,
        description="Keep repeating the checked product for this many seconds (a stability "
        "burn-in before a long run); 0 runs the check once.",
    )
