"""GET /jobs/{id}/reports: the Markdown reports a finished job wrote (the dataset validation
report, the reasoning summary), listed and read as text; the dashboard renders them."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response

from api.deps import JobDep
from api.errors import error_responses
from api.schemas import ErrorPublic, ReportPublic, ReportsPublic
from core.config import get_settings
from core.jobs.reports import report_file, report_paths

router = APIRouter(prefix="/jobs", tags=["jobs"])
ReportName = Annotated[str, Path(description="A name from GET /jobs/{job_id}/reports.")]
NO_REPORT: dict[int | str, dict[str, Any]] = {
    404: {
        "model": ErrorPublic,
        "description": "No such job, no report of that name, or its file is not in the workspace.",
    }
}


@router.get("/{job_id}/reports", response_model=ReportsPublic, responses=error_responses(404))
def list_job_reports(job: JobDep):
    """The job's Markdown reports by name, and whether each file is still in the workspace."""
    workspace = get_settings().workspace
    return ReportsPublic(
        data=[
            ReportPublic(name=name, path=path, on_disk=report_file(workspace, path) is not None)
            for name, path in report_paths(job).items()
        ]
    )


@router.get(
    "/{job_id}/reports/{name}",
    response_class=Response,  # no JSON: the 200 is text/markdown alone, the errors JSON
    responses={
        200: {"content": {"text/markdown": {"schema": {"type": "string"}}}},
        **NO_REPORT,
    },
)
def read_job_report(job: JobDep, name: ReportName):
    """One report's Markdown text; only files the job names, inside the workspace."""
    path = report_paths(job).get(name)
    found = report_file(get_settings().workspace, path) if path else None
    if found is None:
        raise HTTPException(404, detail=f"job {job.id} has no report {name!r} on disk")
    text = found.read_text(encoding="utf-8", errors="replace")
    return Response(text, media_type="text/markdown; charset=utf-8")
