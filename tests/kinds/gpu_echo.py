"""A gpu kind of a test's own (C64FT_EXTRA_KINDS): a job asking for `gpus` devices, which says
back the devices its process was given, to show routing and pinning without a GPU."""

import os
import time
from typing import Any, Literal

from pydantic import Field

from core.context import RunContext
from core.kinds.base import Kind
from core.routing import MAX_GPUS
from core.specs.base import SpecBase

PINNING = ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES")


class GpuEchoSpec(SpecBase):
    kind: Literal["gpu_echo"] = Field(description="Say back the GPUs a job sees (a test's own).")
    gpus: int = Field(1, ge=1, le=MAX_GPUS, description="GPUs the job needs: its queue.")
    hold_s: float = Field(0.0, ge=0, le=10, description="Seconds it runs before answering.")


def run(spec: GpuEchoSpec, ctx: RunContext) -> dict[str, Any]:
    ctx.event(f"gpu_echo: {spec.gpus} GPU(s)")
    time.sleep(spec.hold_s)
    return {"gpus": spec.gpus, "env": {name: os.environ.get(name) for name in PINNING}}


KIND = Kind(GpuEchoSpec, "gpu", "tests.kinds.gpu_echo:run")
