"""Seed step 1: prove the accelerator works (versions, devices, a checked matrix product)."""

import time
from typing import Any

import torch

from core.context import RunContext
from core.errors import NO_GPU_HINT, JobFailure
from core.kinds.gpu_smoke.spec import GpuSmokeSpec

# float32 products on a GPU differ from the CPU's by rounding only; a broken device or driver
# gives errors orders of magnitude larger.
RELATIVE_TOLERANCE = 1e-3
GIB = 2**30


def describe_runtime() -> dict[str, Any]:
    """Versions and devices as torch sees them (no device work). `vram_gb` (GiB, each device's
    and their total, null without a GPU) and `hip_version` (null on a CUDA or CPU build) are
    the original workflow's fields."""
    available = torch.cuda.is_available()
    count = torch.cuda.device_count() if available else 0
    memory = [torch.cuda.get_device_properties(i).total_memory for i in range(count)]
    devices = [
        {
            "index": i,
            "name": torch.cuda.get_device_name(i),
            "total_memory_bytes": memory[i],
            "vram_gb": round(memory[i] / GIB, 2),
        }
        for i in range(count)
    ]
    return {
        "torch_version": torch.__version__,
        "hip_version": torch.version.hip,
        "vram_gb": round(sum(memory) / GIB, 2) if memory else None,
        "cuda_version": torch.version.cuda,
        "gpu_available": available,
        "device_count": len(devices),
        "devices": devices,
        "bf16_supported": bool(available and torch.cuda.is_bf16_supported()),
    }


def checked_matmul(size: int, device: str, seed: int) -> dict[str, float]:
    """Multiply two random matrices on `device` and compare with float64 on the CPU."""
    generator = torch.Generator().manual_seed(seed)
    a = torch.randn(size, size, generator=generator)
    b = torch.randn(size, size, generator=generator)
    started = time.perf_counter()
    product = (a.to(device) @ b.to(device)).cpu()
    seconds = time.perf_counter() - started
    reference = a.double() @ b.double()
    error = float((product.double() - reference).norm() / reference.norm())
    return {"relative_error": error, "seconds": seconds, "tflops": 2 * size**3 / seconds / 1e12}


def run(spec: GpuSmokeSpec, ctx: RunContext) -> dict[str, Any]:
    ctx.set_stage("inspect", "reading torch, HIP/CUDA versions and devices")
    runtime = describe_runtime()
    ctx.event("runtime inspected", data=runtime)
    if not runtime["gpu_available"] and not spec.allow_cpu:
        raise JobFailure("no_gpu", "torch.cuda.is_available() is False", hint=NO_GPU_HINT)
    device = "cuda" if runtime["gpu_available"] else "cpu"
    # TF32 would make the check compare a different, lower-precision product.
    torch.backends.cuda.matmul.allow_tf32 = False

    ctx.set_stage("matmul_check", f"checking a {spec.matrix_size}² product on {device}")
    check = _check(spec.matrix_size, device, seed=0)
    ctx.event("product matches the CPU reference", data=check)

    iterations = 1
    if spec.burn_in_s > 0:
        ctx.set_stage("burn_in", f"repeating the checked product for {spec.burn_in_s:g} s")
        iterations += _burn_in(spec, device, ctx)
    ctx.progress(1.0)
    return {**runtime, "device": device, "matmul_check": check, "iterations": iterations}


def _check(size: int, device: str, seed: int) -> dict[str, float]:
    check = checked_matmul(size, device, seed)
    if not check["relative_error"] <= RELATIVE_TOLERANCE:
        raise JobFailure(
            "gpu_check_failed",
            f"{size}² product on {device} is wrong: relative error {check['relative_error']:.3g} "
            f"> {RELATIVE_TOLERANCE}",
            hint="The device computes wrong results: check the driver/ROCm version, the "
            "device's health, and that the container's torch build matches the host driver.",
        )
    return check


def _burn_in(spec: GpuSmokeSpec, device: str, ctx: RunContext) -> int:
    started = time.monotonic()
    done = 0
    while (elapsed := time.monotonic() - started) < spec.burn_in_s:
        ctx.check_cancelled()
        ctx.progress(elapsed / spec.burn_in_s)
        done += 1
        _check(spec.matrix_size, device, seed=done)
    ctx.event("burn-in finished", data={"iterations": done})
    return done
