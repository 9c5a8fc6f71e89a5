"""GET /jobs/{id}/webhooks: the job's webhook deliveries and each try (the worker sends them)."""

from fastapi import APIRouter

from api.deps import JobDep
from api.errors import error_responses
from api.schemas import WebhookDeliveriesPublic, WebhookDeliveryPublic
from core.jobs import outbox

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get(
    "/{job_id}/webhooks", response_model=WebhookDeliveriesPublic, responses=error_responses(404)
)
def list_job_webhooks(job: JobDep):
    """The job's webhook deliveries, oldest first, each with its tries (a workflow's include
    `workflow.step_finished`)."""
    rows = outbox.list_deliveries(job.id)
    return WebhookDeliveriesPublic(data=[WebhookDeliveryPublic.from_rows(*row) for row in rows])
