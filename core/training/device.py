"""Where training runs and in which precision."""

from dataclasses import dataclass
from typing import Protocol

import torch

from core.context import RunContext
from core.errors import NO_GPU_HINT, JobFailure


@dataclass(frozen=True)
class Device:
    name: str  # "cuda" (NVIDIA or ROCm) or "cpu"
    precision: str  # "bf16", "fp16" or "fp32"

    @property
    def dtype(self) -> torch.dtype:
        return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[
            self.precision
        ]


class DeviceRequest(Protocol):
    """The fields of a train or validate_reasoning spec that choose the device."""

    @property
    def allow_cpu(self) -> bool: ...

    @property
    def precision(self) -> str: ...


def resolve_device(spec: DeviceRequest, ctx: RunContext) -> Device:
    """The GPU in the precision asked for (bf16 → fp16 where unsupported), or the CPU in fp32."""
    if not torch.cuda.is_available():
        if not spec.allow_cpu:
            raise JobFailure("no_gpu", "torch.cuda.is_available() is False", hint=NO_GPU_HINT)
        ctx.event("no GPU: running on the CPU in fp32 (allow_cpu)", level="warning")
        return Device("cpu", "fp32")
    bf16 = torch.cuda.is_bf16_supported()
    if spec.precision == "fp16" or (spec.precision in ("bf16", "auto") and not bf16):
        if spec.precision == "bf16":
            ctx.event("bf16 is not supported on this GPU: running in fp16", level="warning")
        return Device("cuda", "fp16")
    return Device("cuda", "bf16")


def gpu_memory() -> tuple[str, int] | None:
    """The name and total memory of the GPU this process trains on, or None on the CPU."""
    if not torch.cuda.is_available():
        return None
    properties = torch.cuda.get_device_properties(torch.cuda.current_device())
    return properties.name, properties.total_memory
