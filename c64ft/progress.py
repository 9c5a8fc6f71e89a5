"""Progress lines of a running job, for `c64ft watch` and the demo: one whenever the status or
stage changes, and one at least every `every_s` seconds while it runs, so that a log file (no
terminal, no progress bar) never goes quiet for long."""

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import IO, Any, TypeVar

T = TypeVar("T")
_DONE = object()


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
    )


def progress_line(job: dict[str, Any], loss: float | None = None) -> str:
    """`job_… train running · sft: step 120/1000 (12.0%) · loss 1.234 · ETA 4m10s`."""
    progress = job["progress"]
    head = f"{job['id']} {job['kind']} {job['status']}" + (
        f" · {job['stage']}" if job["stage"] else ""
    )
    parts = []
    if progress.get("total_steps"):
        parts.append(f"step {progress.get('step') or 0}/{progress['total_steps']}")
    if progress.get("fraction") is not None:
        parts.append(f"{progress['fraction']:.1%}")
    if loss is not None:
        parts.append(f"loss {loss:.4g}")
    if job["status"] == "running":
        parts.append(f"ETA {duration(progress.get('eta_s'))}")
    return f"{head}: {' · '.join(parts)}" if parts else head


class ProgressLines:
    """Decides when a job's next progress line is due and prints it to `out`."""

    def __init__(self, out: IO[str], every_s: float = 30.0, *, on_change: bool = True) -> None:
        """`on_change=False`: only the periodic lines (the caller reports changes itself)."""
        self.out, self.every_s, self.on_change = out, every_s, on_change
        self.last: dict[str, tuple[str, float]] = {}  # job id → (status·stage, when printed)

    def update(self, job: dict[str, Any], loss: Callable[[], float | None] = lambda: None) -> None:
        """Print a line when the job's status or stage changed, or `every_s` has passed."""
        state = f"{job['status']}·{job['stage']}"
        seen, when = self.last.get(job["id"], ("", float("-inf")))
        now = time.monotonic()
        if not self.on_change and job["id"] not in self.last:
            self.last[job["id"]] = (state, now)  # the first line is due `every_s` from now
            return
        changed = self.on_change and state != seen
        if changed or now - when >= self.every_s:
            print(progress_line(job, loss()), file=self.out, flush=True)
            self.last[job["id"]] = (state, now)


def with_ticks(items: Iterator[T], every_s: float) -> Iterator[T | None]:
    """The items of `items` (read by a thread) as they come, and None whenever `every_s` passes
    without one: a quiet stream still lets the caller print its periodic line."""
    arrived: queue.Queue = queue.Queue()

    def read() -> None:
        try:
            for item in items:
                arrived.put((item, None))
        except BaseException as exc:  # handed to the caller's thread, raised there
            arrived.put((_DONE, exc))
            return
        arrived.put((_DONE, None))

    threading.Thread(target=read, daemon=True).start()
    while True:
        try:
            item, error = arrived.get(timeout=every_s)
        except queue.Empty:
            yield None
            continue
        if error is not None:
            raise error
        if item is _DONE:
            return
        yield item
