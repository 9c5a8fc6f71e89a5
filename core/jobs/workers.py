"""Registry of live workers, kept in the database so the API can count them without the broker."""

import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, text
from sqlmodel import Session, col, select

from core.config import get_settings
from core.jobs.db import read_session, write_session
from core.jobs.models import Job, JobStatus, Worker, utcnow

ACTIVE = (JobStatus.running, JobStatus.cancelling)  # a job a worker holds


# Postgres: the registrations of all workers take turns on this transaction-level advisory lock
# (SQLite's write transaction already excludes every other writer).
REGISTRATION_LOCK = 0x6364_6674_6770_7573  # "cdftgpus": any constant the service alone uses


class DeviceConflict(Exception):
    """Another live worker of the same node owns one of the devices this worker claims."""


def register_worker(
    hostname: str,
    queues: list[str],
    *,
    node: str = "",
    devices: Sequence[str] = (),
    gpus: list[dict[str, Any]] | None = None,
) -> None:
    """Record this worker as live, with the GPUs it found (`gpus`, core.gpus; None: unknown);
    refuse (DeviceConflict) when a live worker of the same node owns one of `devices`. The
    check and the write are one write transaction, so two workers starting together cannot both
    take a device."""
    with write_session() as session:
        if session.get_bind().dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            session.connection().execute(lock, {"key": REGISTRATION_LOCK})
        if devices:
            _refuse_shared_devices(session, hostname, node, devices)
        worker = session.get(Worker, hostname) or Worker(hostname=hostname, queues="", pid=0)
        worker.queues, worker.pid = ",".join(queues), os.getpid()
        worker.node, worker.devices, worker.gpus = node, ",".join(devices), gpus
        worker.started_at = worker.heartbeat_at = utcnow()
        session.add(worker)


def _refuse_shared_devices(
    session: Session, hostname: str, node: str, devices: Sequence[str]
) -> None:
    """Raise DeviceConflict naming the first live worker of `node` that owns one of `devices`
    (this worker's own row, left by its previous run under the same name, does not count)."""
    others = select(Worker).where(
        Worker.node == node, Worker.hostname != hostname, Worker.heartbeat_at >= _heard_since()
    )
    for other in session.exec(others):
        shared = [d for d in devices if d in other.devices.split(",")]
        if shared:
            raise DeviceConflict(
                f"GPU {', '.join(shared)} of node {node!r} belongs to the live worker "
                f"{other.hostname!r} (pid {other.pid}): give this worker other --gpus, or stop "
                f"that one (a worker that died frees its devices "
                f"{get_settings().heartbeat_timeout_s:g} s after its last heartbeat)"
            )


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


def live_gpus(queue: str) -> list[tuple[str, dict[str, Any]]]:
    """(worker hostname, GPU row) for each GPU the live workers consuming `queue` reported."""
    query = select(Worker).where(Worker.heartbeat_at >= _heard_since())
    with read_session() as session:
        workers = [w for w in session.exec(query) if queue in w.queues.split(",")]
    return [(w.hostname, gpu) for w in workers for gpu in (w.gpus or [])]


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
