"""Routes of /jobs: submit (or dry-run), list, read, cancel; events, metrics, checkpoints."""

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Response, status

from api.deps import JobDep, JobId, run_db
from api.errors import error_responses, unprocessable
from api.schemas import (
    CheckpointPublic,
    CheckpointsPublic,
    DryRunPublic,
    EventPublic,
    EventsPublic,
    JobPublic,
    JobsPublic,
    MetricPublic,
    MetricsPublic,
)
from core.config import get_settings
from core.errors import IllegalTransition, JobNotFound
from core.jobs import journal, service, store
from core.jobs.models import JobStatus
from core.kinds import KINDS, JobSpec
from core.preflight import preflight
from worker.dispatch import send_job

router = APIRouter(prefix="/jobs", tags=["jobs"])
MAX_ID = 2**63 - 1  # the largest row id SQL databases store (a larger `after` would overflow)
# Every kind's examples, for Swagger UI.
EXAMPLES = {name: example for kind in KINDS.values() for name, example in kind.examples.items()}
KindName = Annotated[str | None, Query(description=f"One of: {', '.join(KINDS)}.")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=JobPublic | DryRunPublic,
    responses={
        200: {"model": DryRunPublic, "description": "dry_run: checks, nothing queued"},
        **error_responses(400, 413, 415),
    },
)
def create_job(
    spec: Annotated[JobSpec, Body(openapi_examples=EXAMPLES)],
    response: Response,
    dry_run: Annotated[
        bool, Query(description="Resolve and check the spec; queue nothing.")
    ] = False,
):
    """Submit a job; with `dry_run=true`, only resolve its spec and run the pre-flight checks."""
    if dry_run:
        response.status_code = status.HTTP_200_OK
        checks = preflight(spec)
        return DryRunPublic(
            ok=all(check["status"] != "fail" for check in checks),
            kind=spec.kind,
            queue=KINDS[spec.kind].queue_for(spec),
            spec=spec.resolved(),
            metadata=spec.metadata,
            checks=checks,
        )
    try:
        job, position = service.submit(spec, send=send_job)
    except service.SpecRefused as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                unprocessable(["body", *p.param.split(".")], p.message, "input_invalid")
                for p in exc.problems
            ],
        ) from exc
    return JobPublic.from_job(job, queue_position=position)


@router.get("", response_model=JobsPublic)
def list_jobs(
    status: JobStatus | None = None,
    kind: KindName = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: Annotated[str | None, Query(description="A job id: list jobs older than it.")] = None,
):
    """List jobs, newest first."""
    try:
        jobs, has_more = store.list_jobs(status=status, kind=kind, limit=limit, before=before)
    except JobNotFound as exc:
        detail = [unprocessable(["query", "before"], str(exc), "job_not_found")]
        raise HTTPException(422, detail=detail) from exc  # `status` is a parameter here
    data = [JobPublic.from_job(job, queue_position=store.queue_position(job)) for job in jobs]
    return JobsPublic(data=data, has_more=has_more)


@router.get("/{job_id}", response_model=JobPublic, responses=error_responses(404))
async def read_job(job_id: JobId) -> Response:
    """Read one job: status, stage, progress, result or error."""
    job, position = await run_db(store.get_job_with_position, job_id)
    # Serialized here, once: returned as a model, FastAPI would validate it again first.
    body = JobPublic.from_job(job, queue_position=position).model_dump_json()
    return Response(body, media_type="application/json")


@router.post("/{job_id}/cancel", response_model=JobPublic, responses=error_responses(404, 409, 415))
def cancel_job(job: JobDep):
    """Cancel a job: a queued one at once, a running one at its next step boundary."""
    try:
        job = service.cancel(job.id, send=send_job)
    except IllegalTransition as exc:
        raise HTTPException(409, detail=f"job {job.id} already finished ({exc.current})") from exc
    return JobPublic.from_job(job)


@router.get("/{job_id}/events", response_model=EventsPublic, responses=error_responses(404))
def list_job_events(
    job: JobDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Only events with a larger id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
):
    """The job's event log, in order."""
    events, has_more = journal.list_events(job.id, after=after, limit=limit)
    return EventsPublic(data=[EventPublic.from_row(e) for e in events], has_more=has_more)


@router.get("/{job_id}/metrics", response_model=MetricsPublic, responses=error_responses(404))
def list_job_metrics(
    job: JobDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Only points with a larger id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
):
    """Training points (loss, learning rate, …) in the order they were logged."""
    points, has_more = journal.list_metrics(job.id, after=after, limit=limit)
    return MetricsPublic(data=[MetricPublic.from_row(p) for p in points], has_more=has_more)


@router.get(
    "/{job_id}/checkpoints", response_model=CheckpointsPublic, responses=error_responses(404)
)
def list_job_checkpoints(job: JobDep):
    """Checkpoints the job saved, by step."""
    rows, workspace = journal.list_checkpoints(job.id), get_settings().workspace
    return CheckpointsPublic(data=[CheckpointPublic.from_row(row, workspace) for row in rows])
