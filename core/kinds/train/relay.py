"""How the ranks of a multi-GPU run report through their launcher.

The ranks never touch the job database: rank 0 writes what it reports (stages, events,
progress, metrics, checkpoints) as JSON lines to a file of the launch folder, and the launcher,
in the job's own process and with the job's own context, reads them and reports them. The other
ranks report nothing. The launcher asks for a cancel with a file in the same folder, which rank
0 watches; each rank leaves its outcome (a result, a cancel, a failure) in a file of its own.
"""

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from core.context import RunContext
from core.errors import JobCancelled

LAUNCH_FILE = "launch.json"  # the spec, the workspace, what the ranks cannot look up themselves
REPORTS_FILE = "reports.jsonl"  # rank 0's reports, in order
CANCEL_FILE = "cancel"  # made by the launcher when the job is asked to cancel
WATCH_S = 0.2


def outcome_file(folder: Path, rank: int) -> Path:
    return folder / f"outcome-{rank}.json"


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Whole or not at all: the launcher may read the file the moment the rank dies."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, default=str))
    os.replace(temporary, path)


class RankContext(RunContext):
    """The context of one rank: rank 0's reports go to the launcher; other ranks' nowhere.

    `stop_wanted` is set when the launcher asks for a cancel (rank 0 only): the training
    callback broadcasts it, so `cancel_requested` is set on every rank at the same step."""

    def __init__(self, workspace: Path, folder: Path, *, reporting: bool, saved: dict) -> None:
        super().__init__(workspace=workspace)
        self.folder, self.saved = folder, saved
        self.stop_wanted = threading.Event()
        self._file: TextIO | None = None
        if reporting:
            self._file = (folder / REPORTS_FILE).open("a", encoding="utf-8")
            threading.Thread(target=self._watch, name="cancel-watch", daemon=True).start()

    def _watch(self) -> None:
        cancel = self.folder / CANCEL_FILE
        while not cancel.exists():
            threading.Event().wait(WATCH_S)
        self.stop_wanted.set()

    def _send(self, op: str, **fields: Any) -> None:
        if self._file is not None:
            self._file.write(json.dumps({"op": op, **fields}, default=str) + "\n")
            self._file.flush()

    def set_stage(self, stage: str, message: str, **data: Any) -> None:
        self.check_cancelled()
        self.stage = stage
        self._send("stage", stage=stage, message=message, data=data)

    def event(self, message: str, *, level: str = "info", data: dict | None = None) -> None:
        self._send("event", message=message, level=level, data=data)

    def _show_progress(self, fraction: float, step: int | None, total: int | None) -> None:
        self._send("progress", fraction=fraction, step=step, total=total)

    def metrics(self, points: list[dict[str, Any]]) -> None:
        self._send("metrics", points=points)

    def checkpoint(self, phase: str, step: int, path: str, metrics: dict | None) -> None:
        self._send("checkpoint", phase=phase, step=step, path=path, metrics=metrics)

    def saved_checkpoints(self, job_id: str) -> list[tuple[str, int, str]]:
        return [(phase, step, path) for phase, step, path in self.saved.get(job_id, [])]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def stop_signal(ctx: RunContext) -> Any:
    """The flag a training callback watches for a cancel: rank 0's request in a rank."""
    return ctx.stop_wanted if isinstance(ctx, RankContext) else ctx.cancel_requested


class Relay:
    """In the launcher: reads rank 0's new reports and reports them with the job's context."""

    def __init__(self, folder: Path, ctx: RunContext) -> None:
        self.path, self.ctx = folder / REPORTS_FILE, ctx
        self.offset = 0
        self.points: list[dict[str, Any]] = []  # every metric point, stamped when it came

    def pump(self) -> None:
        if not self.path.is_file():
            return
        with self.path.open("rb") as file:
            file.seek(self.offset)
            chunk = file.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line being written waits for next time
        self.offset += len(complete)
        for line in complete.splitlines():
            self._apply(json.loads(line))

    def _apply(self, report: dict[str, Any]) -> None:
        op = report.pop("op")
        handlers: dict[str, Callable[..., None]] = {
            "stage": self._stage,
            "event": self.ctx.event,
            "progress": self._progress,
            "metrics": self._metrics,
            "checkpoint": self.ctx.checkpoint,
        }
        handlers[op](**report)

    def _stage(self, stage: str, message: str, data: dict[str, Any]) -> None:
        try:
            self.ctx.set_stage(stage, message, **data)
        except JobCancelled:  # rank 0 decides where the run stops; its stage is still shown
            self.ctx.stage = stage
            self.ctx.event(message, data=data or None)

    def _progress(self, fraction: float, step: int | None, total: int | None) -> None:
        self.ctx.progress(fraction, step=step, total=total)

    def _metrics(self, points: list[dict[str, Any]]) -> None:
        self.ctx.metrics(points)
        now = datetime.now(UTC)
        self.points += [{"ts": now, **point} for point in points]
