"""A run context that keeps what a runner reports in memory, for assertions."""

from pathlib import Path
from typing import Any

from core.context import RunContext
from core.jobs import journal


class RecordingContext(RunContext):
    """Keeps events and progress in memory, for assertions."""

    def __init__(self, workspace: Path) -> None:
        super().__init__(workspace=workspace)
        self.events: list[tuple[str | None, str, str, dict | None]] = []
        self.fractions: list[float] = []
        self.points: list[dict[str, Any]] = []
        self.checkpoints: list[tuple[str, int, str, dict | None]] = []

    def event(self, message: str, *, level: str = "info", data: dict | None = None) -> None:
        self.events.append((self.stage, level, message, data))

    def _show_progress(self, fraction: float, step: int | None, total: int | None) -> None:
        self.fractions.append(fraction)

    def metrics(self, points: list[dict[str, Any]]) -> None:
        self.points.extend(points)

    def checkpoint(self, phase: str, step: int, path: str, metrics: dict | None) -> None:
        self.checkpoints.append((phase, step, path, metrics))

    def saved_checkpoints(self, job_id: str) -> list[tuple[str, int, str]]:
        return journal.saved_checkpoints(job_id)  # the session's job database
