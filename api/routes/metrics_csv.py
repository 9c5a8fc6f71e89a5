"""`GET /jobs/{id}/metrics.csv`: a job's metric points as a CSV file, streamed page by page."""

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import JobDep
from api.errors import error_responses
from core.jobs import journal
from core.metrics_csv import COLUMNS, FILE_NAME, csv_lines

router = APIRouter(prefix="/jobs", tags=["jobs"])
CSV_RESPONSE = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": f"Header `{','.join(COLUMNS)}`, then one line per point, in order.",
    },
    **error_responses(404),
}


@router.get("/{job_id}/metrics.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def download_job_metrics(job: JobDep) -> StreamingResponse:
    """The job's training points (as `GET /jobs/{id}/metrics`) as CSV; a train job writes the
    same file as `metrics.csv` in its last phase's output folder."""
    name = f"{job.id}-{FILE_NAME}"
    return StreamingResponse(
        csv_lines(journal.iter_metrics(job.id)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
