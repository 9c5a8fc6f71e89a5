"""Training as one of several processes (a rank of a torchrun process group): which rank this
is, waiting for the others, and agreeing on a cancel so that every rank stops at one step.

In one process (no torchrun) every function here is a no-op: rank 0 of a world of 1.
"""

import ctypes
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.distributed as dist

PR_SET_PDEATHSIG = 1  # prctl(2)


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    """Whether this process writes the outputs and reports: rank 0, or the only process."""
    return rank() == 0


def backend() -> str:
    """nccl between GPUs (ROCm's RCCL answers to the same name), gloo between CPU processes."""
    return "nccl" if torch.cuda.is_available() else "gloo"


def start() -> None:
    """Join the process group torchrun set up (its address, rank and world in the environment);
    on a GPU, this rank's device is the LOCAL_RANK-th one it sees."""
    if world_size() == 1 or dist.is_initialized():
        return
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend=backend())


def stop() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


@contextmanager
def main_first() -> Iterator[None]:
    """Rank 0 runs the block first (it may tidy a folder up: set aside a half-written
    checkpoint), the other ranks after it, so they all find the same files."""
    if not is_main():
        barrier()
    yield
    if is_main():
        barrier()


def agree(stop_wanted: bool) -> bool:
    """Rank 0's answer, on every rank: only rank 0 hears of a cancel, and the ranks must stop
    after the same step or the next collective would wait forever for the ones that stopped."""
    if not dist.is_initialized():
        return stop_wanted
    device = torch.device("cuda", torch.cuda.current_device()) if backend() == "nccl" else None
    flag = torch.tensor([1 if stop_wanted else 0], dtype=torch.int32, device=device)
    dist.broadcast(flag, src=0)
    return bool(flag.item())


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Have the kernel send `sig` to this process when its parent dies (Linux): a rank whose
    launcher was killed must not train on, unseen, holding a GPU."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:  # not Linux: the launcher's process-group kill is all there is
        return
    libc.prctl(PR_SET_PDEATHSIG, sig)
