"""Registry of live workers, kept in the database so the API can count them without the broker."""

import os
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col, select

from core.config import get_settings
from core.jobs.db import read_session, write_session
from core.jobs.models import Worker, utcnow


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


def live_workers(queue: str | None = None) -> int:
    """Workers heard from within the heartbeat timeout (optionally: that consume `queue`)."""
    since = utcnow() - timedelta(seconds=get_settings().heartbeat_timeout_s)
    query = select(Worker.queues).where(Worker.heartbeat_at >= since)
    with read_session() as session:
        queues = list(session.exec(query))
    if queue is None:
        return len(queues)
    return sum(queue in q.split(",") for q in queues)
