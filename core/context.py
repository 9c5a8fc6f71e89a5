"""The context a runner works in: report progress, log events, record metrics, notice a cancel.

Runners know nothing of HTTP, Celery or the job database; the worker hands them a
`core.jobs.context.StoreContext` (everything lands in the database), `c64ft run` a
`c64ft.console.ConsoleContext` (everything goes to the terminal), tests an in-memory one.
"""

import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import JobCancelled

PROGRESS_WRITE_INTERVAL_S = 1.0


class RunContext:
    def __init__(self, *, workspace: Path) -> None:
        self.workspace = workspace
        # Names what this run writes (a report folder): the job id, or a time for `c64ft run`
        self.run_id = f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}"
        self.stage: str | None = None
        self.cancel_requested = threading.Event()
        self._last_progress = 0.0

    def set_stage(self, stage: str, message: str, **data: Any) -> None:
        """Enter a named stage (a step boundary: a cancel stops here); its first event says what."""
        self.check_cancelled()
        self.stage = stage
        self.event(message, data=data or None)

    def event(self, message: str, *, level: str = "info", data: dict | None = None) -> None:
        raise NotImplementedError

    def progress(self, fraction: float, *, step: int | None = None, total: int | None = None):
        """Report how far the stage is; throttled, so a runner may call it at every step."""
        now = time.monotonic()
        if fraction < 1 and now - self._last_progress < PROGRESS_WRITE_INTERVAL_S:
            return
        self._last_progress = now
        self._show_progress(min(max(fraction, 0.0), 1.0), step, total)

    def _show_progress(self, fraction: float, step: int | None, total: int | None) -> None:
        raise NotImplementedError

    def metrics(self, points: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def metric_rows(self, recorded: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Every metric point of the job, in order, for its metrics file: by default those this
        process `recorded` (with no row id); a context with the job database reads the job's
        rows instead, so the file is the same as the API's, an earlier attempt's points too."""
        return recorded

    def checkpoint(self, phase: str, step: int, path: str, metrics: dict | None) -> None:
        """A training checkpoint was saved at `path` (inside the workspace)."""
        raise NotImplementedError

    def saved_checkpoints(self, job_id: str) -> list[tuple[str, int, str]]:
        """(phase, step, path) of each checkpoint the job `job_id` saved, for `from_checkpoint`:
        only a context with the job database knows them."""
        return []

    def check_cancelled(self) -> None:
        """Call at every step boundary: raises JobCancelled once a cancel was asked for."""
        if self.cancel_requested.is_set():
            raise JobCancelled(f"cancelled during stage {self.stage}")
