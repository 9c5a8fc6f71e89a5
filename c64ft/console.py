"""The runner context of `c64ft run`: events and progress on the terminal, checkpoints of earlier
jobs from the job database (for `from_checkpoint`)."""

import json
import sys
from typing import Any

from core.context import RunContext
from core.jobs import journal


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

    def saved_checkpoints(self, job_id: str) -> list[tuple[str, int, str]]:
        return journal.saved_checkpoints(job_id)
