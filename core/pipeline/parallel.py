"""Both cores where the work allows: an ordered map over forked processes, with progress."""

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
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
    with _children_allowed():
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        try:
            results = []
            for result in pool.map(func, items, chunksize=max(1, len(items) // (workers * 8))):
                results.append(result)
                on_done(len(results))
            return results
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _children_allowed() -> Iterator[None]:
    """Let a Celery pool process (daemonic) start the pool's processes.

    multiprocessing refuses children to a daemonic process because it would not wait for them;
    this map always shuts its pool down before returning, and a pool process whose parent died
    exits when its task pipe closes.
    """
    config = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    daemonic = config.get("daemon")
    config["daemon"] = False
    try:
        yield
    finally:
        if daemonic is not None:
            config["daemon"] = daemonic
