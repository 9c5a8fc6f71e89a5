"""Registry of live workers, kept in the database so the API can count them without the broker."""

import os
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select

from core.config import get_settings
from core.jobs.db import read_session, write_session
from core.jobs.models import Job, JobStatus, Worker, utcnow

ACTIVE = (JobStatus.running, JobStatus.cancelling)  # a job a worker holds


def register_worker(hostname: str, queues: list[str]) -> None:
    with write_session() as session:
        worker = session.get(Worker, hostname) or Worker(hostname=hostname, queues="", pid=0)
        worker.queues, worker.pid = ",".join(queues), os.getpid()
        worker.started_at = worker.heartbeat_at = utcnow()
        session.add(worker)


def touch_worker(hostname: str) -> None:
    with write_session() as session:
        worker = session.get(Worker, hostname)
        if worker is not None:
            worker.heartbeat_at = utcnow()
            session.add(worker)


def unregister_worker(hostname: str) -> None:
    with write_session() as session:
        session.exec(delete(Worker).where(col(Worker.hostname) == hostname))


def _heard_since() -> datetime:
    return utcnow() - timedelta(seconds=get_settings().heartbeat_timeout_s)


def live_workers(queue: str | None = None) -> int:
    """Workers heard from within the heartbeat timeout (optionally: that consume `queue`)."""
    query = select(Worker.queues).where(Worker.heartbeat_at >= _heard_since())
    with read_session() as session:
        queues = list(session.exec(query))
    if queue is None:
        return len(queues)
    return sum(queue in q.split(",") for q in queues)


def live_worker_rows() -> list[tuple[Worker, Job | None]]:
    """Each live worker, by hostname, with the job it runs now (None when idle)."""
    workers = select(Worker).where(Worker.heartbeat_at >= _heard_since())
    active = select(Job).where(col(Job.status).in_(ACTIVE), col(Job.worker).is_not(None))
    with read_session() as session:
        rows = list(session.exec(workers.order_by(col(Worker.hostname))))
        running = {worker_hostname(job.worker or ""): job for job in session.exec(active)}
    return [(worker, running.get(worker.hostname)) for worker in rows]


def worker_hostname(job_worker: str) -> str:
    """The hostname in a job's `worker` column ("<hostname> pid <pid>", worker/tasks.py)."""
    return job_worker.rsplit(" pid ", 1)[0]
