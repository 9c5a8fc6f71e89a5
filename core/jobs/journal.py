"""What a job leaves behind while it runs: its event log, training metrics and checkpoints."""

from collections.abc import Iterator
from typing import Any, TypeVar

from sqlalchemy import BigInteger, literal
from sqlmodel import col, select

from core.jobs.db import read_session, write_session
from core.jobs.models import JobCheckpoint, JobEvent, JobMetric

Row = TypeVar("Row", JobEvent, JobMetric)


def add_event(
    job_id: str,
    message: str,
    *,
    level: str = "info",
    stage: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    with write_session() as session:
        session.add(JobEvent(job_id=job_id, message=message, level=level, stage=stage, data=data))


def add_metrics(job_id: str, points: list[dict[str, Any]]) -> None:
    """Write a batch of training points in one transaction."""
    if not points:
        return
    with write_session() as session:
        session.add_all(JobMetric(job_id=job_id, **point) for point in points)


def add_checkpoint(
    job_id: str, *, phase: str, step: int, path: str, metrics: dict[str, Any] | None
) -> None:
    with write_session() as session:
        session.add(
            JobCheckpoint(job_id=job_id, phase=phase, step=step, path=path, metrics=metrics)
        )


def list_events(job_id: str, *, after: int = 0, limit: int = 100) -> tuple[list[JobEvent], bool]:
    """Events with id > `after`, in order. Returns (events, has_more)."""
    return _page(JobEvent, job_id, after, limit)


def list_metrics(job_id: str, *, after: int = 0, limit: int = 1000) -> tuple[list[JobMetric], bool]:
    """Metric points with id > `after`, in order. Returns (points, has_more)."""
    return _page(JobMetric, job_id, after, limit)


def iter_metrics(job_id: str, *, page: int = 1000) -> Iterator[dict[str, Any]]:
    """Every metric point of `job_id` in order, read a page at a time (a long job's metrics
    file never holds them all in memory)."""
    after, more = 0, True
    while more:
        points, more = list_metrics(job_id, after=after, limit=page)
        for point in points:
            after = point.id or after  # a stored row always has its id
            yield point.model_dump()


def _page(model: type[Row], job_id: str, after: int, limit: int) -> tuple[list[Row], bool]:
    """One page of a job's rows by id; one row more is read to tell whether more follow."""
    # `after` is bound as a 64-bit integer: the API takes any id up to 2**63 - 1, and Postgres
    # refuses to bind a larger value to its 32-bit id column's type ("integer out of range").
    query = (
        select(model)
        .where(model.job_id == job_id, col(model.id) > literal(after, BigInteger))
        .order_by(col(model.id))
        .limit(limit + 1)
    )
    with read_session() as session:
        rows = list(session.exec(query))
    return rows[:limit], len(rows) > limit


def list_checkpoints(job_id: str) -> list[JobCheckpoint]:
    query = select(JobCheckpoint).where(JobCheckpoint.job_id == job_id)
    with read_session() as session:
        return list(session.exec(query.order_by(col(JobCheckpoint.step))))


def saved_checkpoints(job_id: str) -> list[tuple[str, int, str]]:
    """(phase, step, path) of each checkpoint of `job_id`, by step: what a runner context
    hands to a train job's `from_checkpoint`."""
    return [(c.phase, c.step, c.path) for c in list_checkpoints(job_id)]
