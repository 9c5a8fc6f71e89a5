"""Response models of the API; table objects never leave through a route."""

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Row

from core.gpus import GpuInfo
from core.jobs.models import (
    DeliveryStatus,
    Job,
    JobCheckpoint,
    JobEvent,
    JobMetric,
    JobStatus,
    WebhookAttempt,
    WebhookDelivery,
    Worker,
    utcnow,
)
from core.kinds.base import Check


class Progress(BaseModel):
    fraction: float | None = Field(None, description="0..1 of the whole job.")
    step: int | None = None
    total_steps: int | None = None
    elapsed_s: float | None = Field(None, description="Seconds since the job started running.")
    eta_s: float | None = Field(None, description="Estimated seconds left, from the pace so far.")


class JobError(BaseModel):
    type: str = Field(description="Stable machine-readable reason, e.g. `no_gpu`, `worker_lost`.")
    message: str
    hint: str | None = Field(None, description="What the operator can do about it.")
    param: str | None = Field(None, description="The spec field at fault, if one is.")
    stage: str | None = Field(None, description="The stage the job was in when it failed.")


class JobPublic(BaseModel):
    id: str
    object: Literal["job"] = "job"
    kind: str
    status: JobStatus
    stage: str | None
    progress: Progress
    queue_position: int | None = Field(None, description="1 = next to run; only while queued.")
    spec: dict[str, Any] = Field(description="The resolved spec: every default filled in.")
    metadata: dict[str, str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempt: int = Field(description="How many times the job has been started.")
    max_attempts: int
    worker: str | None
    error: JobError | None
    result: dict[str, Any] | None
    parent_id: str | None

    @classmethod
    def from_job(cls, job: Job | Row, *, queue_position: int | None = None) -> "JobPublic":
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            stage=job.stage,
            progress=_progress(job),
            queue_position=queue_position,
            spec=job.spec,
            metadata=job.job_metadata or {},
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            attempt=job.attempt,
            max_attempts=job.max_attempts,
            worker=job.worker,
            error=JobError(**job.error) if job.error else None,
            result=job.result,
            parent_id=job.parent_id,
        )


def _progress(job: Job | Row) -> Progress:
    elapsed = eta = None
    if job.started_at:
        elapsed = ((job.finished_at or utcnow()) - job.started_at).total_seconds()
        fraction = job.progress_fraction
        if fraction and 0 < fraction < 1 and not job.finished_at:
            eta = elapsed * (1 - fraction) / fraction
    return Progress(
        fraction=job.progress_fraction,
        step=job.progress_step,
        total_steps=job.progress_total_steps,
        elapsed_s=elapsed,
        eta_s=eta,
    )


class JobsPublic(BaseModel):
    object: Literal["list"] = "list"
    data: list[JobPublic]
    has_more: bool


class EventPublic(BaseModel):
    id: int
    ts: datetime
    level: str
    stage: str | None
    message: str
    data: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: JobEvent) -> "EventPublic":
        return cls.model_validate(row, from_attributes=True)


class EventsPublic(BaseModel):
    object: Literal["list"] = "list"
    data: list[EventPublic]
    has_more: bool


class MetricPublic(BaseModel):
    id: int
    ts: datetime
    phase: str
    step: int
    epoch: float | None
    loss: float | None
    learning_rate: float | None
    grad_norm: float | None
    eval_loss: float | None
    tokens_per_second: float | None

    @classmethod
    def from_row(cls, row: JobMetric) -> "MetricPublic":
        return cls.model_validate(row, from_attributes=True)


class MetricsPublic(BaseModel):
    object: Literal["list"] = "list"
    data: list[MetricPublic]
    has_more: bool


class CheckpointPublic(BaseModel):
    id: int
    created_at: datetime
    phase: str
    step: int
    path: str
    metrics: dict[str, Any] | None
    reference: str = Field(description="Pass as `from_checkpoint` to start a job from it.")
    on_disk: bool = Field(
        description="Whether its folder is still in the workspace: training keeps only "
        "`save_total_limit` checkpoints (the latest and the best) and deletes older ones."
    )

    @classmethod
    def from_row(cls, row: JobCheckpoint, workspace: Path) -> "CheckpointPublic":
        on_disk = (workspace / row.path).is_dir()
        return cls(**row.model_dump(), reference=f"{row.job_id}:{row.step}", on_disk=on_disk)


class CheckpointsPublic(BaseModel):
    object: Literal["list"] = "list"
    data: list[CheckpointPublic]
    has_more: bool = False


class DryRunPublic(BaseModel):
    object: Literal["dry_run"] = "dry_run"
    ok: bool = Field(description="True when no check failed: the job would be accepted.")
    kind: str
    queue: str
    spec: dict[str, Any] = Field(description="The resolved spec: every default filled in.")
    metadata: dict[str, str]
    checks: list[Check]


class CurrentJob(BaseModel):
    id: str
    kind: str
    status: JobStatus
    stage: str | None
    progress_fraction: float | None


DEVICES_HELP = (
    "The GPU ids it owns (`c64ft worker --gpus`); empty: none in particular (a cpu worker, or a "
    "gpu worker started without --gpus)."
)


GPUS_HELP = (
    "The GPUs it found at its start, each with its name and total memory (declared by "
    "C64FT_GPU_INVENTORY, else probed); the dry run checks a train spec's memory against them. "
    "Empty: none found; null: unknown (a cpu worker, or one from before this was recorded)."
)


class WorkerDevices(BaseModel):
    hostname: str
    node: str = Field(description="The machine it runs on (C64FT_NODE_NAME): devices are per node.")
    devices: list[str] = Field(description=DEVICES_HELP)
    gpus: list[GpuInfo] | None = Field(None, description=GPUS_HELP)
    current_job: CurrentJob | None = Field(description="The job it runs now; null when idle.")

    @classmethod
    def from_row(cls, worker: Worker, job: Job | None) -> "WorkerDevices":
        current = CurrentJob.model_validate(job, from_attributes=True) if job else None
        devices = worker.devices.split(",") if worker.devices else []
        gpus = [GpuInfo.model_validate(g) for g in worker.gpus] if worker.gpus is not None else None
        return cls(
            hostname=worker.hostname,
            node=worker.node,
            devices=devices,
            gpus=gpus,
            current_job=current,
        )


class WorkerPublic(WorkerDevices):
    queues: list[str]
    pid: int
    started_at: datetime
    heartbeat_at: datetime

    @classmethod
    def from_row(cls, worker: Worker, job: Job | None) -> "WorkerPublic":
        return cls(
            **WorkerDevices.from_row(worker, job).model_dump(),
            queues=worker.queues.split(",") if worker.queues else [],
            pid=worker.pid,
            started_at=worker.started_at,
            heartbeat_at=worker.heartbeat_at,
        )


class WorkersPublic(BaseModel):
    data: list[WorkerPublic] = Field(description="Workers that sent a heartbeat recently.")
    queues: dict[str, int | None] = Field(
        description="Messages waiting in each queue; null when the broker does not answer."
    )


class ReportPublic(BaseModel):
    name: str = Field(description="`datasets` (validation_report.md), `reasoning` (summary.md).")
    path: str = Field(description="Where the file is, relative to the workspace.")
    on_disk: bool = Field(description="Whether the file is still there to read.")


class ReportsPublic(BaseModel):
    object: Literal["list"] = "list"
    data: list[ReportPublic]
    has_more: bool = False


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: str
    broker: str
    workers: int = Field(description="Workers that sent a heartbeat recently.")
    worker_devices: list[WorkerDevices] | None = Field(
        None,
        description="Each of those workers: its node, its GPUs and the job it runs now; null "
        "for a call without the token when C64FT_API_TOKEN is set (hostnames, job ids).",
    )


class ErrorPublic(BaseModel):
    detail: str = Field(description="What was wrong, and what to do about it.")


class WebhookAttemptPublic(BaseModel):
    number: int
    started_at: datetime
    duration_s: float
    status_code: int | None = Field(description="The receiver's answer; null when none came.")
    error: str | None = Field(description="Why the try failed (`HTTP 500`, a timeout, …).")


class WebhookDeliveryPublic(BaseModel):
    id: str = Field(description="The message id: the `webhook-id` header of every try.")
    event: str
    url: str
    status: DeliveryStatus
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="When the next try is due (pending).")
    payload: dict[str, Any] = Field(description="The body sent: {type, timestamp, data}.")
    attempts: list[WebhookAttemptPublic]

    @classmethod
    def from_rows(
        cls, row: WebhookDelivery, attempts: list[WebhookAttempt]
    ) -> "WebhookDeliveryPublic":
        tries = [WebhookAttemptPublic.model_validate(a, from_attributes=True) for a in attempts]
        return cls(**row.model_dump(exclude={"job_id", "claim", "attempts"}), attempts=tries)


class WebhookDeliveriesPublic(BaseModel):
    object: Literal["list"] = "list"
    data: list[WebhookDeliveryPublic]
    has_more: bool = False
