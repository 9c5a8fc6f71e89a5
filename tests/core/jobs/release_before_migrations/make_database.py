"""`python -m tests.core.jobs.release_before_migrations.make_database URL`: create the tables as
that release's init_db did (SQLModel's create_all on its models) and add rows to every table,
with every column set, through its own models.

A process of its own: these models and today's cannot share SQLModel's metadata."""

import sys
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, SQLModel, create_engine

from tests.core.jobs.release_before_migrations.models import (
    DeliveryStatus,
    Job,
    JobCheckpoint,
    JobEvent,
    JobMetric,
    JobStatus,
    JobWebhook,
    WebhookAttempt,
    WebhookDelivery,
    Worker,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def jobs() -> list[Job]:
    parent = Job(
        id="job_parent",
        kind="workflow",
        queue="cpu",
        status=JobStatus.running,
        stage="train",
        spec={"kind": "workflow", "steps": [{"kind": "train", "max_steps": 3}]},
        job_metadata={"team": "sid"},
        progress_fraction=0.5,
        progress_step=1,
        progress_total_steps=2,
        created_at=T0,
        started_at=T0 + timedelta(seconds=1),
        heartbeat_at=T0 + timedelta(seconds=2),
        dispatched_at=T0 + timedelta(seconds=1),
        attempt=1,
        max_attempts=3,
        worker="cpu.1@host pid 7",
    )
    child = Job(
        id="job_child",
        kind="train",
        queue="gpu",
        status=JobStatus.failed,
        spec={"kind": "train", "max_steps": 3, "lr": 2e-4},
        created_at=T0 + timedelta(seconds=3),
        finished_at=T0 + timedelta(seconds=9),
        cancel_requested_at=T0 + timedelta(seconds=8),
        error={"code": "out_of_memory", "message": "CUDA out of memory"},
        result={"steps": 2, "loss": 1.25},
        parent_id="job_parent",
    )
    return [parent, child]


def rows() -> list[SQLModel]:
    delivery = WebhookDelivery(
        id="msg_1",
        job_id="job_child",
        event="job.failed",
        url="https://hooks.example/c64ft",
        payload={"type": "job.failed", "data": {"id": "job_child"}},
        status=DeliveryStatus.failed,
        attempts=2,
        created_at=T0,
        next_attempt_at=None,
        claim="deliverer-1",
    )
    return [
        JobEvent(
            job_id="job_child", ts=T0, level="error", stage="train", message="oom", data={"a": 1}
        ),
        JobMetric(
            job_id="job_child",
            ts=T0,
            phase="sft",
            step=2,
            epoch=0.5,
            loss=1.25,
            learning_rate=2e-4,
            grad_norm=0.75,
            eval_loss=1.5,
            tokens_per_second=123.5,
        ),
        JobCheckpoint(
            job_id="job_child",
            created_at=T0,
            phase="sft",
            step=2,
            path="runs/job_child/ckpt-2",
            metrics={"loss": 1.25},
        ),
        Worker(hostname="gpu.7@host", queues="gpu", pid=7, started_at=T0, heartbeat_at=T0),
        JobWebhook(job_id="job_child", url="https://hooks.example/c64ft", events=["job.failed"]),
        delivery,
        WebhookAttempt(
            delivery_id="msg_1",
            number=1,
            started_at=T0,
            duration_s=0.25,
            status_code=500,
            error="HTTP 500",
        ),
    ]


def main(url: str) -> None:
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)  # what that release's init_db did, and all it did
    with Session(engine) as session:
        for row in [*jobs(), *rows()]:  # in order: a row's parent is written before it
            session.add(row)
            session.flush()  # (the models have no relationships to order them by)
        session.commit()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
