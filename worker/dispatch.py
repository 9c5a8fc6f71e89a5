"""Sending a job's message (after its row is committed) and measuring a queue."""

import logging

from core.jobs import journal, store
from core.jobs.models import Job
from worker.celery_app import QUEUES, TASK_NAME, celery_app

log = logging.getLogger(__name__)
# A broker hiccup is retried briefly; a broker that is down leaves the job queued in the
# database, and the reaper sends it once the broker is back. Nothing is lost either way.
SEND_RETRY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.5}


def send_job(job: Job) -> bool:
    """Send `job`'s message to its queue; False (and an event) if the broker is unreachable."""
    try:
        celery_app.send_task(TASK_NAME, args=[job.id], queue=job.queue, retry_policy=SEND_RETRY)
    except Exception as exc:  # kombu raises transport-specific errors: any means "not sent"
        log.warning("could not send %s to queue %s: %s", job.id, job.queue, exc)
        message = f"broker unreachable ({type(exc).__name__}); the reaper will send it again"
        journal.add_event(job.id, message, level="warning", stage="queue")
        return False
    return True


def resend_job(job: Job) -> None:
    """The reaper's send: it stamps the time, so a job is re-sent at most every requeue_after_s."""
    if send_job(job):
        store.mark_dispatched(job.id)


def _depth(conn, queue: str) -> int:
    try:
        _, count, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
    except conn.channel_errors:  # the broker does not know the queue yet: nothing waits in it
        return 0
    return int(count)


def queue_depth(queue: str) -> int:
    """Messages waiting in `queue`."""
    with celery_app.connection_for_read() as conn:
        return _depth(conn, queue)


def queue_depths(timeout: float = 2.0) -> dict[str, int | None]:
    """Messages waiting in each queue, on one connection; None for all when the broker does not
    answer within `timeout` seconds (monitoring reports "unknown", never an error)."""
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
            return {queue: _depth(conn, queue) for queue in QUEUES}
    except Exception as exc:  # kombu raises transport-specific errors: any means "unknown"
        log.warning("could not measure the queues: %s", exc)
        return dict.fromkeys(QUEUES)


def ping_broker(timeout: float = 2.0) -> None:
    """Raise unless the broker answers a real request within `timeout` seconds."""
    with celery_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
        _depth(conn, "gpu")
