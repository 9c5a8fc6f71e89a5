"""The job service: every lifecycle and workflow decision that an edge (an API route, the
Celery task) would otherwise make. The edges translate HTTP or Celery into these calls.

`send` is how a job's message reaches its queue (the worker package's `send_job`): passed in,
so that this layer knows nothing of Celery.
"""

from collections.abc import Callable
from typing import Any

from core.errors import JobFailure
from core.jobs import store, workflow
from core.jobs.models import Job
from core.kinds import KINDS
from core.kinds.workflow import NAME as WORKFLOW
from core.preflight import input_problems
from core.specs.base import SpecBase

Send = Callable[[Job], Any]


class SpecRefused(JobFailure):
    """The spec's inputs or outputs fail the checks a submission must pass (`problems`)."""

    def __init__(self, problems: list) -> None:
        super().__init__("input_invalid", "; ".join(f"{p.param}: {p.message}" for p in problems))
        self.problems = problems


def submit(spec: SpecBase, *, send: Send) -> tuple[Job, int | None]:
    """Check, commit and queue a job; a workflow queues its first step instead.

    Returns:
        The job as committed, and its queue position (None for a workflow).

    Raises:
        SpecRefused: what the API answers with 422, each problem naming its field.
    """
    if problems := input_problems(spec):
        raise SpecRefused(problems)
    job = store.create_job(spec=spec)
    if KINDS[job.kind].queue == WORKFLOW:  # no queue of its own: it queues its first step
        workflow.advance(job.id, send=send)
        return store.get_job(job.id), None
    send(job)  # after the commit; if the broker is down, the reaper sends it later
    return job, store.queue_position(job)


def cancel(job_id: str, *, send: Send) -> Job:
    """Cancel a job: a queued one at once, a running one at its next step; a workflow passes
    the cancel on to its running step. Raises IllegalTransition for a finished job."""
    job = store.request_cancel(job_id)
    if job.kind == WORKFLOW:
        workflow.advance(job.id, send=send)
        job = store.get_job(job.id)
    return job


def step_finished(job_id: str, *, send: Send) -> None:
    """After a job ends: a workflow's step moves its workflow on (else the reaper will)."""
    parent_id = store.get_job(job_id).parent_id
    if parent_id is not None:
        workflow.advance(parent_id, send=send)
