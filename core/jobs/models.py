"""Tables of the job store: job, job_event, job_metric, job_checkpoint, worker; and the webhook
outbox: job_webhook, webhook_delivery, webhook_attempt."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (SQLite keeps no zone), always read back timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    cancelling = "cancelling"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


TERMINAL = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})


class Job(SQLModel, table=True):
    # queue_position counts the queued jobs ahead on one queue at every status read
    __table_args__ = (Index("ix_job_status_queue_created", "status", "queue", "created_at"),)

    id: str = Field(primary_key=True)
    kind: str = Field(index=True)
    queue: str
    status: JobStatus = Field(default=JobStatus.queued, index=True)
    stage: str | None = None
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    job_metadata: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    progress_fraction: float | None = None
    progress_step: int | None = None
    progress_total_steps: int | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempt: int = 0
    max_attempts: int = 3
    worker: str | None = None
    error: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    parent_id: str | None = Field(default=None, foreign_key="job.id", index=True)


class JobEvent(SQLModel, table=True):
    __tablename__ = "job_event"
    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="job.id", index=True)
    ts: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    level: str = "info"
    stage: str | None = None
    message: str
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class JobMetric(SQLModel, table=True):
    __tablename__ = "job_metric"
    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="job.id", index=True)
    ts: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    phase: str
    step: int
    epoch: float | None = None
    loss: float | None = None
    learning_rate: float | None = None
    grad_norm: float | None = None
    eval_loss: float | None = None
    tokens_per_second: float | None = None


class JobCheckpoint(SQLModel, table=True):
    __tablename__ = "job_checkpoint"
    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="job.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    phase: str
    step: int
    path: str
    metrics: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class Worker(SQLModel, table=True):
    """A live Celery worker, as it last reported itself (the API counts these for /health)."""

    hostname: str = Field(primary_key=True)
    queues: str
    pid: int
    # the machine it runs on (C64FT_NODE_NAME): devices are per machine
    node: str = Field(default="", sa_column_kwargs={"server_default": ""})
    # the GPU ids it owns, comma-separated ("" for none: a cpu worker)
    devices: str = Field(default="", sa_column_kwargs={"server_default": ""})
    # what it found of those GPUs at start ([{"id", "name", "memory_bytes"}]; [] none seen,
    # None unknown: not probed, or a worker from before the column)
    gpus: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobWebhook(SQLModel, table=True):
    """A target of one job's events, from its spec's `webhooks` (kept apart from the spec)."""

    __tablename__ = "job_webhook"
    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="job.id", index=True)
    url: str
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookDelivery(SQLModel, table=True):
    """One event for one URL, added in the transaction of the status change it tells of."""

    __tablename__ = "webhook_delivery"
    # the deliverers' poll: the pending deliveries that are due
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    id: str = Field(primary_key=True)  # msg_…: the webhook-id header, the same on every try
    job_id: str = Field(foreign_key="job.id", index=True)
    event: str
    url: str
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: DeliveryStatus = DeliveryStatus.pending
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claim: str | None = None  # the deliverer sending it now (its lease ends at next_attempt_at)


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempt"
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(foreign_key="webhook_delivery.id", index=True)
    number: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    duration_s: float
    status_code: int | None = None  # the receiver's answer; None when none came
    error: str | None = None  # why the try failed, when it did
