"""Run one job for the worker: claim it, keep its heartbeat, run its runner, record the outcome."""

import _thread
import logging
import threading
import traceback
from collections.abc import Callable
from datetime import timedelta

from pydantic import ValidationError

from core.config import get_settings
from core.errors import (
    IllegalTransition,
    JobCancelled,
    JobFailure,
    JobLost,
    JobNotFound,
    JobTakenOver,
)
from core.jobs import journal, store
from core.jobs.context import StoreContext
from core.jobs.models import Job, JobStatus, utcnow
from core.jobs.workflow import step_link
from core.kinds import KINDS
from core.kinds.running import run_spec
from core.specs.base import SpecBase

log = logging.getLogger(__name__)
S = JobStatus
INTERNAL_HINT = "An unexpected error: the job's event log has the traceback."


class Heartbeat(threading.Thread):
    """Refreshes the job's heartbeat and watches for a cancel request, or a takeover.

    The runner polls `ctx.cancel_requested` at its step boundaries; a runner that has not
    stopped `cancel_grace_s` after the request is interrupted (KeyboardInterrupt in its thread).
    A job that another worker holds now (this one was cut off from the database longer than the
    heartbeat timeout, and the job was retried elsewhere) is interrupted at once.
    """

    def __init__(self, ctx: StoreContext, worker: str) -> None:
        super().__init__(name=f"heartbeat-{ctx.job_id}", daemon=True)
        self.ctx, self.worker = ctx, worker
        self.finished = threading.Event()
        self.interrupted = False
        self.taken_over_by: str | None = None

    def run(self) -> None:
        settings = get_settings()
        while not self.finished.wait(settings.heartbeat_interval_s):
            try:
                job = store.heartbeat(self.ctx.job_id, self.worker)
            except Exception:  # a busy database must not kill the heartbeat: try next beat
                log.exception("heartbeat of %s failed", self.ctx.job_id)
                continue
            if job.worker != self.worker:
                self.taken_over_by = job.worker or "nobody (queued again)"
                self._interrupt()
                return
            if job.status == S.cancelling:
                self.ctx.cancel_requested.set()
                grace = timedelta(seconds=settings.cancel_grace_s)
                overdue = job.cancel_requested_at and utcnow() - job.cancel_requested_at > grace
                if overdue:
                    self._interrupt()

    def _interrupt(self) -> None:
        if not self.interrupted and not self.finished.is_set():
            self.interrupted = True
            _thread.interrupt_main()


def execute_job(
    job_id: str, *, worker: str, send: Callable[[Job], None] | None = None
) -> JobStatus | None:
    """Run `job_id` if this call wins the claim; returns its final status, None for a duplicate.
    A job that lost one of its processes (JobLost) is queued again and sent with `send` (without
    it, the reaper sends it at its next pass)."""
    try:
        job = store.claim(job_id, worker=worker)
    except (IllegalTransition, JobNotFound) as exc:
        log.info("not running %s: %s (a duplicate or cancelled delivery)", job_id, exc)
        return None
    journal.add_event(job_id, f"claimed by {worker}, attempt {job.attempt}", stage="claim")
    ctx = StoreContext(workspace=get_settings().workspace, job_id=job_id, step=step_link(job))
    heartbeat = Heartbeat(ctx, worker)
    heartbeat.start()
    try:
        spec = _parse_spec(job.kind, job.spec)
        result = run_spec(spec, ctx)
        outcome, fields = S.succeeded, {"result": result, "progress_fraction": 1.0}
    except JobLost as exc:
        heartbeat.finished.set()
        return _retry(job_id, worker, exc, send)
    except JobCancelled as exc:
        outcome, fields = S.cancelled, {}
        ctx.event(f"stopped: {exc}")
    except KeyboardInterrupt:
        if heartbeat.taken_over_by is not None:
            log.warning("%s stopped: %s holds it now", job_id, heartbeat.taken_over_by)
            return None
        if not ctx.cancel_requested.is_set():
            raise  # the worker itself is being stopped: the reaper retries this job later
        outcome, fields = S.cancelled, {}
        ctx.event("interrupted: the runner ignored the cancel flag", level="warning")
    except JobFailure as exc:
        outcome, fields = S.failed, {"error": exc.as_error(stage=ctx.stage), "result": exc.result}
        ctx.event(f"{exc.type}: {exc.message}", level="error", data={"hint": exc.hint})
    except Exception as exc:
        error = JobFailure("internal_error", f"{type(exc).__name__}: {exc}", hint=INTERNAL_HINT)
        outcome, fields = S.failed, {"error": error.as_error(stage=ctx.stage)}
        ctx.event(error.message, level="error", data={"traceback": traceback.format_exc()})
    finally:
        heartbeat.finished.set()
    return _finish(job_id, worker, outcome, fields)


def _parse_spec(kind: str, spec: dict) -> SpecBase:
    """The saved spec read again here; the API accepted it, so a refusal means this worker's
    settings differ from the API's (e.g. C64FT_INPUT_ROOTS set on one side only)."""
    try:
        return KINDS[kind].spec.model_validate(spec)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise JobFailure(
            "spec_refused_by_worker",
            f"this worker refuses {field}: {first['msg']}",
            hint="Give the API and every worker the same C64FT_* settings (C64FT_WORKSPACE, "
            "C64FT_INPUT_ROOTS, C64FT_ALLOWED_BASE_MODELS); `c64ft config` prints them.",
            param=field,
        ) from exc


def _retry(
    job_id: str, worker: str, lost: JobLost, send: Callable[[Job], None] | None
) -> JobStatus | None:
    """What the reaper does for a lost worker, at once: queued for another attempt (which
    resumes from the latest checkpoint); past the last attempt, or while being cancelled, the
    job ends."""
    job = store.get_job(job_id)
    if job.status == S.cancelling:
        return _finish(job_id, worker, S.cancelled, {})
    if job.attempt >= job.max_attempts:
        error = lost.as_error(stage=job.stage)
        error["message"] += f" on attempt {job.attempt} of {job.max_attempts}"
        return _finish(job_id, worker, S.failed, {"error": error})
    event = {
        "message": f"{lost.message}; queued for attempt {job.attempt + 1}",
        "level": "warning",
        "stage": "recovery",
    }
    try:
        job = store.transition(
            job_id,
            S.queued,
            only_from={S.running},
            event=event,
            held_by=worker,
            worker=None,
            heartbeat_at=None,
        )
    except JobTakenOver:
        return None
    except IllegalTransition:  # a cancel came in meanwhile: the job ends as it asked
        return _finish(job_id, worker, S.cancelled, {})
    if send is not None:
        send(job)
    return S.queued


def _finish(job_id: str, worker: str, outcome: JobStatus, fields: dict) -> JobStatus | None:
    """Record the outcome, unless the job was taken over: then another run's outcome counts."""
    try:
        event = {"message": f"job {outcome}", "stage": "finish"}
        store.transition(job_id, outcome, event=event, held_by=worker, **fields)
    except JobTakenOver as exc:
        log.warning("%s's outcome %s is not recorded: %s", job_id, outcome, exc)
        return None
    except IllegalTransition as exc:  # e.g. the reaper gave the job up while it was finishing
        log.warning("could not record %s for %s: %s", outcome, job_id, exc)
        return store.get_job(job_id).status
    return outcome
