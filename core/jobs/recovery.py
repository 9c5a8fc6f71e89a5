"""The reaper: the database, not the broker, recovers jobs (docs/design.md, "Recovery").

- a running job whose heartbeat went stale lost its worker: it is queued again for another
  attempt (resuming from its last checkpoint) or, past `max_attempts`, failed as `worker_lost`;
  a stale job that was being cancelled simply ends `cancelled`;
- a queued job that nobody claimed while its broker queue is empty lost its message: it is
  sent again. A duplicate message is harmless: the claim is a compare-and-set;
- every live workflow is advanced, in case its last advance was lost to a crash.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from core.config import get_settings
from core.errors import JobFailure
from core.jobs import journal, store, workflow
from core.jobs.db import write_session
from core.jobs.models import Job, JobEvent, JobStatus, utcnow

log = logging.getLogger(__name__)
S = JobStatus

WORKER_LOST_HINT = (
    "The worker running this job stopped answering (killed, out of memory, machine restart) "
    "on every attempt. Check the worker's log and memory (lower batch_size or max_length if it "
    "was killed for memory), then submit the job again."
)


@dataclass
class ReapReport:
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)


def reap(*, send: Callable[[Job], None], queue_depth: Callable[[str], int]) -> ReapReport:
    """One pass of the reaper. `send` re-sends a job's message; `queue_depth` counts a queue."""
    settings = get_settings()
    report = ReapReport()
    stale_before = utcnow() - timedelta(seconds=settings.heartbeat_timeout_s)
    for job in store.stale_jobs(stale_before):
        recover_if_stale(job.id, stale_before, send, report)
    sent_before = utcnow() - timedelta(seconds=settings.requeue_after_s)
    depths: dict[str, int] = {}
    for job in store.waiting_jobs(sent_before):
        if job.queue not in depths:
            depths[job.queue] = queue_depth(job.queue)
        if depths[job.queue] == 0:
            journal.add_event(job.id, "message lost from the broker: sent again", stage="recovery")
            send(job)
            report.resent.append(job.id)
    for workflow_id in workflow.open_workflows():
        workflow.advance(workflow_id, send)
    return report


def recover_if_stale(
    job_id: str, stale_before: datetime, send: Callable[[Job], None], report: ReapReport
) -> None:
    """Recover a job found stale, if it still is once its row is locked: every worker runs a
    reaper, so another may have retried it meanwhile and a worker claimed it again (fresh
    heartbeat, a new attempt); deciding on the list's old copy would take it from that worker."""
    with write_session() as session:
        job = store.lock_job(session, job_id)
        if not store.is_stale(job, stale_before):
            return
        retried = _decide(session, job, report)
    if retried:
        send(job)


def _decide(session: Session, job: Job, report: ReapReport) -> bool:
    """Apply the reaper's decision on a stale job locked in `session`; True: it is queued again."""
    last_seen = f"{job.heartbeat_at:%H:%M:%S} UTC" if job.heartbeat_at else "never"
    lost = f"worker {job.worker} lost (last heartbeat: {last_seen})"
    if job.status == S.cancelling:
        event = JobEvent(job_id=job.id, message=f"{lost}; it was being cancelled", stage="recovery")
        store.apply_transition(session, job, S.cancelled)
        report.cancelled.append(job.id)
    elif job.attempt >= job.max_attempts:
        error = JobFailure(
            "worker_lost",
            f"{lost} on attempt {job.attempt} of {job.max_attempts}",
            hint=WORKER_LOST_HINT,
        )
        event = JobEvent(job_id=job.id, message=error.message, level="error", stage="recovery")
        store.apply_transition(session, job, S.failed, error=error.as_error(stage=job.stage))
        report.failed.append(job.id)
    else:
        message = f"{lost}; queued for attempt {job.attempt + 1}"
        event = JobEvent(job_id=job.id, message=message, level="warning", stage="recovery")
        store.apply_transition(session, job, S.queued, worker=None, heartbeat_at=None)
        report.retried.append(job.id)
    session.add(event)
    return job.status == S.queued
