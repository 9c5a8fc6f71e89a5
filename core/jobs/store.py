"""Job store: create, read, list jobs, and every status change through one lifecycle check."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, or_, tuple_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from core.config import get_settings
from core.errors import IllegalTransition, JobNotFound, JobTakenOver
from core.jobs import outbox
from core.jobs.db import get_engine, read_session, write_session
from core.jobs.models import TERMINAL, Job, JobEvent, JobStatus, UTCDateTime, utcnow
from core.kinds import KINDS
from core.kinds.workflow import NAME as WORKFLOW
from core.specs.base import SpecBase

S = JobStatus
# The job lifecycle. running → queued is the reaper's retry of a job whose worker was lost.
ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    S.queued: frozenset({S.running, S.cancelled}),
    S.running: frozenset({S.cancelling, S.succeeded, S.failed, S.queued}),
    S.cancelling: frozenset({S.cancelled, S.succeeded, S.failed}),
}


def new_job_id() -> str:
    return f"job_{uuid.uuid4().hex}"


def create_job(*, spec: SpecBase, parent_id: str | None = None) -> Job:
    """Commit a `queued` job row (the caller sends the message only after this returns)."""
    with write_session() as session:
        return add_job(session, spec=spec, parent_id=parent_id)


def add_job(session: Session, *, spec: SpecBase, parent_id: str | None = None) -> Job:
    """Add a `queued` job row, its first event, its webhook targets and their `job.queued`
    deliveries to `session` (committed with it)."""
    job = Job(
        id=new_job_id(),
        kind=spec.kind,
        queue=KINDS[spec.kind].queue_for(spec),
        spec=spec.resolved(),
        job_metadata=dict(spec.metadata),
        max_attempts=get_settings().max_attempts,
        parent_id=parent_id,
    )
    created = JobEvent(job_id=job.id, stage="queue", message=f"created; queue {job.queue!r}")
    session.add(job)
    session.flush()  # the job row first: the event references it
    session.add(created)
    outbox.save_targets(session, job.id, spec.webhooks)
    outbox.add_status_event(session, job)
    return job


def get_job(job_id: str) -> Job:
    with read_session() as session:
        job = session.get(Job, job_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


def list_jobs(
    *,
    status: JobStatus | None = None,
    kind: str | None = None,
    limit: int = 20,
    before: str | None = None,
) -> tuple[list[Job], bool]:
    """Newest first; `before` is a job id (cursor). Returns (jobs, has_more)."""
    query = select(Job)
    if status:
        query = query.where(Job.status == status)
    if kind:
        query = query.where(Job.kind == kind)
    if before:
        cursor = get_job(before)
        query = query.where(tuple_(Job.created_at, Job.id) < (cursor.created_at, cursor.id))
    query = query.order_by(col(Job.created_at).desc(), col(Job.id).desc()).limit(limit + 1)
    with read_session() as session:
        jobs = list(session.exec(query))
    return jobs[:limit], len(jobs) > limit


# Built once: the count of queued jobs ahead of one job on its queue (read at every status poll).
_JOBS_AHEAD = (
    select(func.count())
    .select_from(Job)
    .where(Job.queue == bindparam("queue"), Job.status == S.queued)
    .where(
        tuple_(Job.created_at, Job.id)
        < tuple_(bindparam("created_at", type_=UTCDateTime()), bindparam("job_id"))
    )
)


def _position(connection: Connection, job: Job | Row) -> int | None:
    if job.status != S.queued:
        return None
    params = {"queue": job.queue, "created_at": job.created_at, "job_id": job.id}
    return int(connection.execute(_JOBS_AHEAD, params).scalar_one()) + 1


def queue_position(job: Job) -> int | None:
    """1 for the next job its queue will run; None unless the job is queued."""
    with get_engine().connect() as connection:
        return _position(connection, job)


_JOB_TABLE = SQLModel.metadata.tables["job"]
_READ_JOB = sa_select(_JOB_TABLE).where(_JOB_TABLE.c.id == bindparam("job_id"))


def get_job_with_position(job_id: str) -> tuple[Row, int | None]:
    """A job's row and its queue position, read on one connection: the status poll's whole work.

    Read with SQLAlchemy Core, not an ORM session: every dashboard and client repeats this
    read, and the session's identity map and instrumentation cost it three times as much
    (bench/RESULTS.md, issue 16). The row has the table's columns as attributes.
    """
    with get_engine().connect() as connection:
        job = connection.execute(_READ_JOB, {"job_id": job_id}).first()
        if job is None:
            raise JobNotFound(job_id)
        return job, _position(connection, job)


def transition(
    job_id: str,
    target: JobStatus,
    *,
    only_from: set[JobStatus] | None = None,
    event: dict[str, Any] | None = None,
    held_by: str | None = None,
    **fields: Any,
) -> Job:
    """Move a job to `target` (and set `fields`) if the lifecycle allows it, atomically; with
    `event` (`JobEvent` fields: message, level, stage, data), its event row in the same commit,
    so a reader that sees the new status also sees the event (the streams end on that).

    Raises:
        JobNotFound: no such job.
        IllegalTransition: the job's current status cannot become `target` (or is not in
            `only_from`); nothing is written.
        JobTakenOver: `held_by` is given and another claim holds the job now (its worker was
            presumed lost and the job runs elsewhere): the late outcome is not recorded.
    """
    with write_session() as session:
        job = lock_job(session, job_id)
        if held_by is not None and job.worker != held_by:
            raise JobTakenOver(job_id, job.worker, held_by)
        apply_transition(session, job, target, only_from=only_from, **fields)
        if event is not None:
            session.add(JobEvent(job_id=job_id, **event))
    return job


def lock_job(session: Session, job_id: str) -> Job:
    """Read a job for update (its row locked on Postgres; SQLite's writer lock is already held)."""
    job = session.exec(select(Job).where(Job.id == job_id).with_for_update()).first()
    if job is None:
        raise JobNotFound(job_id)
    return job


def apply_transition(
    session: Session,
    job: Job,
    target: JobStatus,
    *,
    only_from: set[JobStatus] | None = None,
    **fields: Any,
) -> None:
    """`transition` on a row already read for update in `session`; the webhook deliveries the
    change makes are added in the same transaction."""
    allowed = target in ALLOWED.get(job.status, frozenset())
    if not allowed or (only_from is not None and job.status not in only_from):
        raise IllegalTransition(job.id, job.status, target)
    job.status = target
    if target in TERMINAL:
        job.finished_at = utcnow()
    for name, value in fields.items():
        setattr(job, name, value)
    session.add(job)
    outbox.add_status_event(session, job)


def claim(job_id: str, *, worker: str) -> Job:
    """queued → running for exactly one caller; a duplicate delivery gets IllegalTransition."""
    now = utcnow()
    with write_session() as session:
        job = lock_job(session, job_id)
        # The attempt is counted under the row lock: a claim that read the job before another
        # claim and the reaper's retry (workers on several hosts) still counts the right attempt.
        apply_transition(
            session,
            job,
            S.running,
            only_from={S.queued},
            worker=worker,
            started_at=now,
            heartbeat_at=now,
            attempt=job.attempt + 1,
        )
    return job


def is_stale(job: Job, older_than: datetime) -> bool:
    """A running or cancelling job whose last heartbeat is older than `older_than` (or none)."""
    return job.status in (S.running, S.cancelling) and (
        job.heartbeat_at is None or job.heartbeat_at < older_than
    )


def request_cancel(job_id: str) -> Job:
    """queued → cancelled, running → cancelling; a second request is a no-op.

    Raises:
        IllegalTransition: the job already finished.
    """
    job = get_job(job_id)
    while job.status != S.cancelling:
        target = S.cancelled if job.status == S.queued else S.cancelling
        try:
            event = {"message": f"cancel requested: job {target}", "stage": "cancel"}
            return transition(job_id, target, event=event, cancel_requested_at=utcnow())
        except IllegalTransition:
            job = get_job(job_id)  # it moved under us: decide again on its new status
            if job.status in TERMINAL:
                raise
    return job


def heartbeat(job_id: str, worker: str) -> Job:
    """Refresh the heartbeat of a live job that `worker` holds; returns the row, so the caller
    sees a cancel request, or that another worker holds the job now (it was taken over)."""
    with write_session() as session:
        session.exec(
            update(Job)
            .where(
                col(Job.id) == job_id,
                col(Job.status).in_([S.running, S.cancelling]),
                col(Job.worker) == worker,
            )
            .values(heartbeat_at=utcnow())
        )
        job = session.get(Job, job_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


def set_fields(job_id: str, **fields: Any) -> None:
    """Set columns of a job that are not its status (stage, progress, dispatch time)."""
    with write_session() as session:
        session.exec(update(Job).where(col(Job.id) == job_id).values(**fields))


def mark_dispatched(job_id: str) -> None:
    set_fields(job_id, dispatched_at=utcnow())


def stale_jobs(older_than: datetime) -> list[Job]:
    """Running or cancelling jobs whose last heartbeat is older than `older_than` (a workflow
    has no heartbeat: its children do)."""
    query = select(Job).where(
        col(Job.status).in_([S.running, S.cancelling]),
        Job.kind != WORKFLOW,
        or_(col(Job.heartbeat_at) < older_than, col(Job.heartbeat_at).is_(None)),
    )
    with read_session() as session:
        return list(session.exec(query))


def waiting_jobs(sent_before: datetime) -> list[Job]:
    """Queued jobs last sent (or created, if never sent) before `sent_before`, oldest first
    (a workflow is never sent: `core.jobs.workflow.advance` starts it)."""
    last_sent = func.coalesce(Job.dispatched_at, Job.created_at)
    query = (
        select(Job)
        .where(Job.status == S.queued, Job.kind != WORKFLOW, last_sent < sent_before)
        .order_by(col(Job.created_at))
    )
    with read_session() as session:
        return list(session.exec(query))
