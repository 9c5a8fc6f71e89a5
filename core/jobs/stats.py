"""Counts over the job store for monitoring, each one SQL aggregate (never a load of every row)."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Float, case, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import col, select

from core.jobs.db import read_session
from core.jobs.models import Job, JobMetric
from core.jobs.workers import ACTIVE

# What a running train job's latest metric row says, by the column it is read from.
TRAIN_COLUMNS = ("loss", "eval_loss", "tokens_per_second", "step")


class _SecondsBetween(FunctionElement):
    """`end - start` in seconds: SQL has no portable way to say it, so each dialect its own."""

    type = Float()
    inherit_cache = True


@compiles(_SecondsBetween)
def _seconds_standard(element, compiler, **kw):  # Postgres
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(_SecondsBetween, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@dataclass(frozen=True)
class Durations:
    """A histogram of one kind's run times: cumulative counts per upper bound, sum, count."""

    buckets: list[tuple[float, int]]
    sum: float
    count: int


def jobs_by_status_and_kind() -> dict[tuple[str, str], int]:
    query = select(Job.status, Job.kind, func.count()).group_by(Job.status, Job.kind)
    with read_session() as session:
        return {(str(status), kind): count for status, kind, count in session.exec(query)}


def durations_by_kind(bounds: Sequence[float]) -> dict[str, Durations]:
    """How long finished jobs ran (finished_at - started_at), by kind, in `bounds` buckets."""
    seconds: ColumnElement[float] = _SecondsBetween(col(Job.started_at), col(Job.finished_at))
    below = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in bounds]
    query = (
        select(Job.kind, func.count(), func.coalesce(func.sum(seconds), 0.0), *below)
        .where(col(Job.started_at).is_not(None), col(Job.finished_at).is_not(None))
        .group_by(Job.kind)
    )
    with read_session() as session:
        rows = list(session.exec(query))
    # Each row: kind, count, sum (a Decimal from Postgres), then the count at or below each bound.
    return {
        row[0]: Durations(list(zip(bounds, map(int, row[3:]), strict=True)), float(row[2]), row[1])
        for row in rows
    }


def latest_train_metrics() -> dict[tuple[str, str], dict[str, float]]:
    """For each running train job and phase: the latest value of each of TRAIN_COLUMNS
    (each from the newest row that has it: a log row has a loss, an eval row an eval loss)."""
    active = select(Job.id).where(Job.kind == "train", col(Job.status).in_(ACTIVE))
    latest: dict[tuple[str, str], dict[str, float]] = {}
    with read_session() as session:
        for name in TRAIN_COLUMNS:
            column = getattr(JobMetric, name)
            newest = (
                select(func.max(JobMetric.id))
                .where(col(JobMetric.job_id).in_(active), col(column).is_not(None))
                .group_by(JobMetric.job_id, JobMetric.phase)
            )
            query = select(JobMetric.job_id, JobMetric.phase, column).where(
                col(JobMetric.id).in_(newest)
            )
            for job_id, phase, value in session.exec(query):
                latest.setdefault((job_id, phase), {})[name] = float(value)
    return latest
