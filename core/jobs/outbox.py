"""The webhook outbox: each event a job's targets want is a `webhook_delivery` row, added in the
transaction that changes the job's status, so a crash never loses one and a rolled-back change
never sends one. Deliverers (`core.jobs.deliverer`) claim due rows, post them, and record each
try here: a failed try is retried after a doubling wait, up to C64FT_WEBHOOK_MAX_ATTEMPTS tries.
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select, update

from core.config import get_settings
from core.jobs.db import read_session, write_session
from core.jobs.models import (
    TERMINAL,
    DeliveryStatus,
    Job,
    JobStatus,
    JobWebhook,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)
from core.webhooks.sending import Outcome
from core.webhooks.targets import WebhookTarget

S = JobStatus
EVENT_OF_STATUS = {
    S.queued: "job.queued",
    S.running: "job.running",
    S.succeeded: "job.succeeded",
    S.failed: "job.failed",
    S.cancelled: "job.cancelled",
}
STEP_FINISHED = "workflow.step_finished"
# What a job's JSON leaves out (the service's bookkeeping) or shows under another name.
_NOT_AS_IS = {
    "job_metadata",
    "heartbeat_at",
    "dispatched_at",
    "cancel_requested_at",
    "progress_fraction",
    "progress_step",
    "progress_total_steps",
}


def save_targets(session: Session, job_id: str, targets: list[WebhookTarget]) -> None:
    """Keep the spec's `webhooks` of a job being added in `session`."""
    for target in targets:
        session.add(JobWebhook(job_id=job_id, url=str(target.url), events=list(target.events)))


def add_status_event(session: Session, job: Job) -> None:
    """Add the deliveries that the job's new status makes (in the status change's `session`):
    its event to the job's targets, and to its workflow's when a step ended."""
    if get_settings().webhook_secret is None:  # no webhooks on this service
        return
    if (event := EVENT_OF_STATUS.get(job.status)) is not None:
        _add(session, job.id, event, job)
    if job.parent_id is not None and job.status in TERMINAL:
        _add(session, job.parent_id, STEP_FINISHED, job)


def job_data(job: Job) -> dict[str, Any]:
    """The job as a webhook's `data` tells it: as GET /jobs/{id} does, less what is computed
    at read time (elapsed and remaining time, queue position)."""
    progress = {
        "fraction": job.progress_fraction,
        "step": job.progress_step,
        "total_steps": job.progress_total_steps,
    }
    data = job.model_dump(mode="json", exclude=_NOT_AS_IS)
    return data | {"progress": progress, "metadata": job.job_metadata or {}}


def _add(session: Session, owner_id: str, event: str, job: Job) -> None:
    own = session.exec(select(JobWebhook).where(JobWebhook.job_id == owner_id))
    targets: list[tuple[str, list[str]]] = [(row.url, row.events) for row in own]
    targets += [(str(t.url), list(t.events)) for t in get_settings().webhook_urls]
    urls = dict.fromkeys(url for url, events in targets if event in events)  # each URL once
    now = utcnow()
    payload = {"type": event, "timestamp": now.isoformat(), "data": job_data(job)}
    for url in urls:
        session.add(
            WebhookDelivery(
                id=f"msg_{uuid.uuid4().hex}", job_id=owner_id, event=event, url=url, payload=payload
            )
        )


def retry_delay(attempts: int, base_s: float) -> float:
    """Seconds to wait after the `attempts`-th failed try: base, 2 × base, 4 × base, …"""
    return base_s * 2 ** (attempts - 1)


def claim_due(limit: int, lease_s: float) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries for this caller alone: each is leased for `lease_s`
    (a deliverer that dies mid-try leaves it to be claimed again when the lease ends)."""
    now = utcnow()
    due = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == DeliveryStatus.pending)
        .where(col(WebhookDelivery.next_attempt_at) <= now)
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
    )
    with read_session() as session:
        candidates = list(session.exec(due))
    if not candidates:  # the usual case: no write lock taken
        return []
    claimed = []
    with write_session() as session:
        for delivery in candidates:
            token, lease_end = uuid.uuid4().hex, now + timedelta(seconds=lease_s)
            taken = session.exec(
                update(WebhookDelivery)
                .where(col(WebhookDelivery.id) == delivery.id)
                .where(col(WebhookDelivery.status) == DeliveryStatus.pending)
                .where(col(WebhookDelivery.next_attempt_at) <= now)  # nobody took it meanwhile
                .values(claim=token, next_attempt_at=lease_end)
            )
            if taken.rowcount == 1:
                delivery.claim, delivery.next_attempt_at = token, lease_end
                claimed.append(delivery)
    return claimed


def record_attempt(delivery: WebhookDelivery, outcome: Outcome) -> DeliveryStatus:
    """Record one try of a claimed delivery, and what comes next: done, a retry, or given up."""
    settings = get_settings()
    number = delivery.attempts + 1
    next_at: datetime | None = None
    if outcome.ok:
        status = DeliveryStatus.delivered
    elif number >= settings.webhook_max_attempts:
        status = DeliveryStatus.failed
    else:
        status = DeliveryStatus.pending
        next_at = utcnow() + timedelta(seconds=retry_delay(number, settings.webhook_retry_base_s))
    with write_session() as session:
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                number=number,
                started_at=outcome.started_at,
                duration_s=outcome.duration_s,
                status_code=outcome.status_code,
                error=outcome.error,
            )
        )
        session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery.id)
            .where(col(WebhookDelivery.claim) == delivery.claim)
            .values(status=status, attempts=number, next_attempt_at=next_at, claim=None)
        )
    return status


def list_deliveries(job_id: str) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """A job's deliveries, oldest first, each with its tries in order."""
    deliveries = select(WebhookDelivery).where(WebhookDelivery.job_id == job_id)
    attempts = (
        select(WebhookAttempt)
        .join(WebhookDelivery)
        .where(WebhookDelivery.job_id == job_id)
        .order_by(col(WebhookAttempt.id))
    )
    with read_session() as session:
        rows = list(session.exec(deliveries.order_by(col(WebhookDelivery.created_at))))
        tries = list(session.exec(attempts))
    by_delivery: dict[str, list[WebhookAttempt]] = {row.id: [] for row in rows}
    for attempt in tries:
        by_delivery[attempt.delivery_id].append(attempt)
    return [(row, by_delivery[row.id]) for row in rows]
