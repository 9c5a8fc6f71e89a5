"""The Markdown reports a job wrote, by name: read from what its kind says (`Kind.reports`) or
its workflow's `result.reports`, never from a path a request names."""

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.jobs.models import TERMINAL, Job, JobStatus
from core.kinds import KINDS
from core.specs.paths import resolve

MAX_REPORT_BYTES = 2_000_000  # reports are a few kB; anything larger is not one of ours


def report_paths(job: Job) -> dict[str, str]:
    """The job's Markdown reports: name (`datasets`, `reasoning`) -> workspace-relative path."""
    if job.kind == "workflow":
        named = (job.result or {}).get("reports") or {}
    else:
        named = _kind_reports(job)
    return {
        name: path for name, path in named.items() if isinstance(path, str) and path.endswith(".md")
    }


def _kind_reports(job: Job) -> dict[str, Any]:
    kind = KINDS.get(job.kind)
    if kind is None or kind.reports is None or job.status not in TERMINAL:
        return {}
    try:
        section = kind.spec.model_validate(job.spec)
    except ValidationError:  # a spec saved by an older version: no reports rather than a 500
        return {}
    return kind.reports(section, job.status == JobStatus.succeeded, job.result)


def report_file(workspace: Path, path: str) -> Path | None:
    """The report's file when it is a regular file inside the workspace, else None."""
    try:
        found = resolve(workspace, path)
    except ValueError:  # a symlink that leads out of the workspace
        return None
    if not found.is_file() or found.stat().st_size > MAX_REPORT_BYTES:
        return None
    return found
