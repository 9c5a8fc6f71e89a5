"""Which Celery queue a job goes to: a job that needs N GPUs waits in `gpu.N` (`gpu` for one),
and a worker that owns N devices consumes `gpu`, `gpu.2`, …, `gpu.N` (README, "GPUs")."""

MAX_GPUS = 8  # the largest GPU set one job may ask for: one host's devices


def gpu_queue(gpus: int) -> str:
    """The queue of a job needing `gpus` devices."""
    return "gpu" if gpus <= 1 else f"gpu.{gpus}"


GPU_QUEUES = tuple(gpu_queue(n) for n in range(1, MAX_GPUS + 1))
