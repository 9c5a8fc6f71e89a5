"""GET /health: the database and the broker checked for real, live workers counted and, for a
caller with the token, listed with their node, devices and current job."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.deps import token_given
from api.schemas import Health, WorkerDevices
from core.jobs.db import read_session
from core.jobs.workers import live_worker_rows
from worker.dispatch import ping_broker

router = APIRouter(tags=["health"])


def _probe(check) -> str:
    try:
        check()
    except Exception as exc:  # any failure is the answer, reported, never a 500
        return f"error: {type(exc).__name__}: {exc}"
    return "ok"


def _ping_database() -> None:
    with read_session() as session:
        session.connection().exec_driver_sql("SELECT 1")


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database or the broker is down."}},
    # The token is optional here: OpenAPI says so with an empty requirement beside the bearer.
    openapi_extra={"security": [{}]},
)
def read_health(response: Response, full: Annotated[bool, Depends(token_given)]):
    """Liveness of the service and what it depends on (no token needed; the workers' details,
    hostnames and job ids, only with it when C64FT_API_TOKEN is set)."""
    database, broker = _probe(_ping_database), _probe(ping_broker)
    rows = live_worker_rows() if database == "ok" else []
    healthy = database == broker == "ok"
    if not healthy:
        response.status_code = 503
    return Health(
        status="ok" if healthy else "degraded",
        database=database,
        broker=broker,
        workers=len(rows),
        worker_devices=[WorkerDevices.from_row(w, job) for w, job in rows] if full else None,
    )
