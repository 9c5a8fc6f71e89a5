"""The context a runner works in: report progress, log events, record metrics, notice a cancel.

Runners know nothing of HTTP or Celery; the worker hands them a `StoreContext` (everything lands
in the database), `c64ft run` a `ConsoleContext` (everything goes to the terminal).
"""

import json
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import journal, store
from core.errors import JobCancelled
from core.workflow import StepLink, show_step_progress

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

    def checkpoint(self, phase: str, step: int, path: str, metrics: dict | None) -> None:
        """A training checkpoint was saved at `path` (inside the workspace)."""
        raise NotImplementedError

    def check_cancelled(self) -> None:
        """Call at every step boundary: raises JobCancelled once a cancel was asked for."""
        if self.cancel_requested.is_set():
            raise JobCancelled(f"cancelled during stage {self.stage}")


class StoreContext(RunContext):
    """Writes everything to the job store."""

    def __init__(self, *, workspace: Path, job_id: str, step: StepLink | None = None) -> None:
        super().__init__(workspace=workspace)
        self.job_id = self.run_id = job_id
        self.step = step  # set when the job is a workflow's step: the workflow shows its progress

    def set_stage(self, stage: str, message: str, **data: Any) -> None:
        store.set_fields(self.job_id, stage=stage)
        super().set_stage(stage, message, **data)
        if self.step:
            fraction = store.get_job(self.job_id).progress_fraction or 0.0
            show_step_progress(self.step, fraction, stage)

    def event(self, message: str, *, level: str = "info", data: dict | None = None) -> None:
        journal.add_event(self.job_id, message, level=level, stage=self.stage, data=data)

    def _show_progress(self, fraction: float, step: int | None, total: int | None) -> None:
        store.set_fields(
            self.job_id,
            progress_fraction=fraction,
            progress_step=step,
            progress_total_steps=total,
        )
        if self.step:
            show_step_progress(self.step, fraction, self.stage)

    def metrics(self, points: list[dict[str, Any]]) -> None:
        journal.add_metrics(self.job_id, points)

    def checkpoint(self, phase: str, step: int, path: str, metrics: dict | None) -> None:
        journal.add_checkpoint(self.job_id, phase=phase, step=step, path=path, metrics=metrics)


class ConsoleContext(RunContext):
    """For `c64ft run`: events and progress go to stderr; Ctrl-C is the cancel."""

    def event(self, message: str, *, level: str = "info", data: dict | None = None) -> None:
        suffix = f" {json.dumps(data)}" if data else ""
        print(f"[{level}] {self.stage or '-'}: {message}{suffix}", file=sys.stderr)

    def _show_progress(self, fraction: float, step: int | None, total: int | None) -> None:
        counter = f" ({step}/{total})" if step is not None and total else ""
        print(f"  {self.stage}: {fraction:6.1%}{counter}", file=sys.stderr)

    def metrics(self, points: list[dict[str, Any]]) -> None:
        for point in points:
            print(f"  metric {json.dumps(point)}", file=sys.stderr)

    def checkpoint(self, phase: str, step: int, path: str, metrics: dict | None) -> None:
        print(f"  checkpoint {phase} step {step}: {path} {metrics or ''}", file=sys.stderr)
