"""Which Celery queue a job goes to: a job that needs N GPUs waits in `gpu.N` (`gpu` for one),
and a worker that owns N devices consumes `gpu`, `gpu.2`, …, `gpu.N` (README, "GPUs")."""

import re

MAX_GPUS = 8  # the largest GPU set one job may ask for: one host's devices


def gpu_queue(gpus: int) -> str:
    """The queue of a job needing `gpus` devices."""
    return "gpu" if gpus <= 1 else f"gpu.{gpus}"


GPU_QUEUES = tuple(gpu_queue(n) for n in range(1, MAX_GPUS + 1))


def worker_gpu_queues(devices: int) -> list[str]:
    """The gpu queues a worker owning `devices` GPUs consumes: every job it can hold."""
    return [gpu_queue(n) for n in range(1, min(devices, MAX_GPUS) + 1)]


# An index (0) or a UUID (GPU-…, MIG-…), as CUDA_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES take them.
DEVICE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_-]*")


def parse_devices(text: str) -> list[str]:
    """The GPU ids of a `--gpus` value ("0,1,2,3"), in order; ValueError says what is wrong."""
    devices = [part.strip() for part in text.split(",") if part.strip()]
    if not devices:
        raise ValueError("no GPU id given (e.g. --gpus 0,1)")
    if bad := [d for d in devices if not DEVICE_ID.fullmatch(d)]:
        raise ValueError(f"not a GPU id: {', '.join(bad)} (an index such as 0, or a UUID)")
    if len(set(devices)) != len(devices):
        raise ValueError(f"a GPU id given twice: {text}")
    return devices
