"""The runner context of a job of the service: everything a runner reports lands in the
database (events, progress, metrics, checkpoints); a workflow's step also moves its workflow."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.context import RunContext
from core.jobs import journal, store
from core.jobs.workflow import StepLink, show_step_progress


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

    def metric_rows(self, recorded: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        return journal.iter_metrics(self.job_id)

    def checkpoint(self, phase: str, step: int, path: str, metrics: dict | None) -> None:
        journal.add_checkpoint(self.job_id, phase=phase, step=step, path=path, metrics=metrics)

    def saved_checkpoints(self, job_id: str) -> list[tuple[str, int, str]]:
        return journal.saved_checkpoints(job_id)
