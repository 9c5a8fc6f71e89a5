"""Server-sent event streams of one job: its event log, and its metric points with progress.

A stream reads the job database every `C64FT_STREAM_POLL_S` (the worker writes rows there and
nothing else tells the API), sends the new rows by id, and ends with `event: end` once the job
is terminal and every row was sent: a job's rows are committed no later than its final status
(its last event in the same commit, `store.transition(event=...)`), so a job read as terminal
before a page that comes back short means nothing is left. A client that reconnects
with `Last-Event-ID` (or `?after=`) gets the rows after that id: none missed, none twice.
"""

import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Query
from sqlalchemy import Row
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.deps import JobId, run_db
from api.errors import error_responses
from api.routes.jobs import MAX_ID
from api.schemas import EventPublic, JobPublic, MetricPublic
from core.config import get_settings
from core.jobs import journal, store
from core.jobs.models import TERMINAL, Job, JobEvent, JobMetric

router = APIRouter(prefix="/jobs", tags=["jobs"])
PAGE = 500  # rows read at a time: a late reader of a long job catches up in few reads
After = Annotated[int, Query(ge=0, le=MAX_ID, description="Only rows with a larger id.")]
LastEventId = Annotated[
    int, Header(ge=0, le=MAX_ID, description="The last id received (EventSource sends it).")
]


def _stream_doc(events: list[str], what: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI of a stream route: its 200 is `text/event-stream`, each event as described."""
    event = {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string", "enum": events},
            "id": {"type": "string", "description": "The row's id, for Last-Event-ID."},
            "data": {"type": "string", "contentMediaType": "application/json"},
        },
    }
    stream = {"content": {"text/event-stream": {"schema": event}}}
    return {200: {"description": what, **stream}, **error_responses(404)}


@router.get(
    "/{job_id}/events/stream",
    response_class=EventSourceResponse,
    responses=_stream_doc(
        ["job_event", "end"],
        "`event: job_event` (id: the event's id; data: one item of GET /jobs/{id}/events), "
        "then `event: end` (data: the job) once the job finished and every event was sent.",
    ),
)
async def stream_job_events(
    job_id: JobId, after: After = 0, last_event_id: LastEventId = 0
) -> EventSourceResponse:
    """The job's event log as server-sent events, live, until the job ends."""
    await run_db(store.get_job, job_id)  # JobNotFound answers 404 before the stream starts
    # a reconnecting EventSource keeps the URL (its `after`) and adds the last id it got
    return _response(_job_events(job_id, max(after, last_event_id)))


@router.get(
    "/{job_id}/stream",
    response_class=EventSourceResponse,
    responses=_stream_doc(
        ["progress", "metric", "end"],
        "`event: progress` (data: the job) at once and whenever its status, stage or progress "
        "change; `event: metric` (id: the point's id; data: one item of GET /jobs/{id}/metrics); "
        "`event: end` (data: the job) at its final status, after every point.",
    ),
)
async def stream_job_progress(
    job_id: JobId, after: After = 0, last_event_id: LastEventId = 0
) -> EventSourceResponse:
    """The job's metric points and progress as server-sent events, live, until the job ends."""
    await run_db(store.get_job, job_id)
    return _response(_job_progress(job_id, max(after, last_event_id)))


def _response(events: AsyncIterator[ServerSentEvent]) -> EventSourceResponse:
    # sse-starlette stops the generator when the client disconnects, and its ping comments
    # keep proxies from closing a quiet stream.
    return EventSourceResponse(events, ping=get_settings().stream_ping_s, sep="\n")


def _job_events(job_id: str, after: int) -> AsyncIterator[ServerSentEvent]:
    return _tail(job_id, after, journal.list_events, _event_message, progress=False)


def _job_progress(job_id: str, after: int) -> AsyncIterator[ServerSentEvent]:
    return _tail(job_id, after, journal.list_metrics, _metric_message, progress=True)


def _event_message(event: JobEvent) -> ServerSentEvent:
    data = EventPublic.from_row(event).model_dump_json()
    return ServerSentEvent(data, event="job_event", id=str(event.id))


def _metric_message(point: JobMetric) -> ServerSentEvent:
    data = MetricPublic.from_row(point).model_dump_json()
    return ServerSentEvent(data, event="metric", id=str(point.id))


async def _tail(
    job_id: str,
    after: int,
    list_rows: Callable[..., tuple[list[Any], bool]],
    as_event: Callable[[Any], ServerSentEvent],
    *,
    progress: bool,
) -> AsyncIterator[ServerSentEvent]:
    """Follow one of the job's tables by id until the job ends (or `stream_max_s` passed); with
    `progress`, also send the job at once and whenever its status, stage, progress or queue
    position change."""
    settings, shown = get_settings(), None
    closes_at = time.monotonic() + settings.stream_max_s
    while time.monotonic() < closes_at:  # then closed without `end`: the client reconnects
        job, position = await run_db(store.get_job_with_position, job_id)  # before the page
        state = (job.status, job.stage, job.progress_fraction, job.progress_step, position)
        if progress and state != shown:
            shown = state
            data = JobPublic.from_job(job, queue_position=position).model_dump_json()
            yield ServerSentEvent(data, event="progress")
        rows, has_more = await run_db(partial(list_rows, job_id, after=after, limit=PAGE))
        for row in rows:
            yield as_event(row)
            after = row.id or after
        if has_more:
            continue
        if job.status in TERMINAL:
            yield _end(job)
            return
        await anyio.sleep(settings.stream_poll_s)


def _end(job: Job | Row) -> ServerSentEvent:
    return ServerSentEvent(JobPublic.from_job(job).model_dump_json(), event="end")
