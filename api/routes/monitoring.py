"""GET /metrics (Prometheus) and GET /workers: what the service is doing, from the store's truth."""

from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import choose_encoder

from api.prometheus import make_registry
from api.schemas import WorkerPublic, WorkersPublic
from core.jobs.workers import live_worker_rows
from worker.dispatch import queue_depths

router = APIRouter(tags=["monitoring"])
REGISTRY = make_registry()


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def read_metrics(request: Request):
    """Prometheus metrics in the text exposition format (OpenMetrics when the scraper asks):
    jobs by status and kind, queue depth, job durations, live workers, running training."""
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encoder(REGISTRY), media_type=content_type)


@router.get("/workers", response_model=WorkersPublic)
def list_workers():
    """Live workers with their queues and current job, and how many messages wait per queue."""
    workers = [WorkerPublic.from_row(worker, job) for worker, job in live_worker_rows()]
    return WorkersPublic(data=workers, queues=queue_depths())
