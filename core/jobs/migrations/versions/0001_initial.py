"""The schema of the release before migrations (created then by `create_all`): the job store
and the webhook outbox.

Written out by hand, not imported from core.jobs.models, so that it stays what that release made
whatever the models become. Types as the models declare them: the models' UTCDateTime is a
DateTime underneath (naive UTC), their str an unbounded VARCHAR, their enums named Enum types
(native on Postgres), their dicts and lists JSON.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JOB_STATUS = sa.Enum(
    "queued", "running", "cancelling", "succeeded", "failed", "cancelled", name="jobstatus"
)
DELIVERY_STATUS = sa.Enum("pending", "delivered", "failed", name="deliverystatus")


def _job_id(nullable: bool = False) -> sa.Column:
    return sa.Column("job_id", sa.String(), sa.ForeignKey("job.id"), nullable=nullable)


def upgrade() -> None:
    _create_job()
    _create_job_children()
    _create_worker()
    _create_webhooks()


def _create_job() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("status", JOB_STATUS, nullable=False),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("job_metadata", sa.JSON(), nullable=True),
        sa.Column("progress_fraction", sa.Float(), nullable=True),
        sa.Column("progress_step", sa.Integer(), nullable=True),
        sa.Column("progress_total_steps", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(), nullable=True),
        sa.Column("cancel_requested_at", sa.DateTime(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("parent_id", sa.String(), sa.ForeignKey("job.id"), nullable=True),
    )
    op.create_index("ix_job_kind", "job", ["kind"])
    op.create_index("ix_job_status", "job", ["status"])
    op.create_index("ix_job_created_at", "job", ["created_at"])
    op.create_index("ix_job_parent_id", "job", ["parent_id"])
    # queue_position counts the queued jobs ahead on one queue at every status read
    op.create_index("ix_job_status_queue_created", "job", ["status", "queue", "created_at"])


def _create_job_children() -> None:
    op.create_table(
        "job_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        _job_id(),
        sa.Column("ts", sa.DateTime(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
    )
    op.create_index("ix_job_event_job_id", "job_event", ["job_id"])
    op.create_table(
        "job_metric",
        sa.Column("id", sa.Integer(), primary_key=True),
        _job_id(),
        sa.Column("ts", sa.DateTime(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Float(), nullable=True)
            for name in (
                "epoch",
                "loss",
                "learning_rate",
                "grad_norm",
                "eval_loss",
                "tokens_per_second",
            )
        ),
    )
    op.create_index("ix_job_metric_job_id", "job_metric", ["job_id"])
    op.create_table(
        "job_checkpoint",
        sa.Column("id", sa.Integer(), primary_key=True),
        _job_id(),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=True),
    )
    op.create_index("ix_job_checkpoint_job_id", "job_checkpoint", ["job_id"])


def _create_worker() -> None:
    op.create_table(
        "worker",
        sa.Column("hostname", sa.String(), primary_key=True),
        sa.Column("queues", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
    )


def _create_webhooks() -> None:
    op.create_table(
        "job_webhook",
        sa.Column("id", sa.Integer(), primary_key=True),
        _job_id(),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
    )
    op.create_index("ix_job_webhook_job_id", "job_webhook", ["job_id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.String(), primary_key=True),
        _job_id(),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", DELIVERY_STATUS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claim", sa.String(), nullable=True),
    )
    op.create_index("ix_webhook_delivery_job_id", "webhook_delivery", ["job_id"])
    # the deliverers' poll: the pending deliveries that are due
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["status", "next_attempt_at"])
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delivery_id", sa.String(), sa.ForeignKey("webhook_delivery.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
    )
    op.create_index("ix_webhook_attempt_delivery_id", "webhook_attempt", ["delivery_id"])


def downgrade() -> None:
    for table in (
        "webhook_attempt",
        "webhook_delivery",
        "job_webhook",
        "worker",
        "job_checkpoint",
        "job_metric",
        "job_event",
        "job",
    ):
        op.drop_table(table)  # its indexes go with it
    bind = op.get_bind()
    DELIVERY_STATUS.drop(bind, checkfirst=True)  # the enum types, on Postgres (no-op elsewhere)
    JOB_STATUS.drop(bind, checkfirst=True)
