"""Both cores where the work allows: an ordered map over forked processes, with progress."""

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def worker_count(requested: int) -> int:
    """`requested` processes, or one per core this process may use when 0."""
    return requested or len(os.sched_getaffinity(0))


def ordered_map(
    func: Callable[[T], R], items: Sequence[T], *, workers: int, on_done: Callable[[int], None]
) -> list[R]:
    """`[func(item) for item in items]`, spread over `workers` processes when worth it.

    `on_done(n)` is called as results arrive (n done so far); an exception it raises (a cancel)
    stops the map and drops the work not yet started.
    """
    if workers <= 1 or len(items) < 2:
        results = []
        for item in items:
            results.append(func(item))
            on_done(len(results))
        return results
    # fork: the children inherit the imported modules, nothing is pickled but items and results.
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"))
    try:
        results = []
        for result in pool.map(func, items, chunksize=max(1, len(items) // (workers * 8))):
            results.append(result)
            on_done(len(results))
        return results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
