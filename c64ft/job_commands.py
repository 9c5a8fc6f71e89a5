"""The commands that talk to a running service: submit, status, jobs, cancel, logs, watch,
checkpoints. Each maps to one route of the API; a service that does not answer is a message
and exit code 2, never a traceback."""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import typer

from c64ft import client as api_client
from c64ft.kind_args import kind_fields
from c64ft.progress import ProgressLines, duration, with_ticks

ApiUrl = Annotated[str, typer.Option(help="Base URL of the c64ft API.")]
DEFAULT_API = "http://127.0.0.1:8000"
SUBMIT_OPTIONS = """Options of submit:
  --wait        Follow the job until it finishes (exit 1 unless it succeeds).
  --dry-run     Only resolve and check the spec (exit 1 when a check fails).
  --api URL     Base URL of the c64ft API [default: http://127.0.0.1:8000]."""


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@contextmanager
def service(api: str) -> Iterator[httpx.Client]:
    """A client of the API; its refusals and silences end the command with exit code 2."""
    with api_client.make_client(api) as http:
        try:
            yield http
        except api_client.ApiError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc


def submit(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Argument(help="The job kind (c64ft kinds).")] = None,
    wait: Annotated[bool, typer.Option(help="Follow the job until it finishes.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only resolve and check the spec.")] = False,
    api: ApiUrl = DEFAULT_API,
) -> None:
    """Submit a job: c64ft submit KIND --field value … (c64ft submit KIND --help lists them)."""
    spec = kind_fields(kind, ctx.args, "submit", SUBMIT_OPTIONS)
    with service(api) as http:
        job = api_client.submit(http, spec, dry_run=dry_run)
        if wait and not dry_run:
            typer.echo(f"submitted {job['id']}", err=True)
            job = api_client.wait(http, job["id"])
    print_json(job)
    if dry_run and not job["ok"]:
        report_failed_checks(job["checks"])
        raise typer.Exit(1)
    if wait and not dry_run and job["status"] != "succeeded":
        raise typer.Exit(1)


def report_failed_checks(checks: list[dict]) -> None:
    failed = [c for c in checks if c["status"] == "fail"]
    typer.echo(f"dry run: {len(failed)} check(s) failed; the job would be refused:", err=True)
    for check in failed:
        typer.echo(f"  FAIL {check['name']}: {check['message']}", err=True)


def status(job_id: str, api: ApiUrl = DEFAULT_API) -> None:
    """Print one job as the API sees it (JSON)."""
    with service(api) as http:
        print_json(api_client.read_job(http, job_id))


def _age(created_at: str) -> str:
    created = datetime.fromisoformat(created_at)
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    return duration((datetime.now(UTC) - created).total_seconds())


def jobs(
    status: Annotated[
        str | None, typer.Option(help="queued, running, succeeded, failed or cancelled.")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1..100).")] = 20,
    api: ApiUrl = DEFAULT_API,
) -> None:
    """List jobs, newest first: id, kind, status, stage, progress, age."""
    with service(api) as http:
        page = api_client.list_jobs(http, status=status, kind=kind, limit=limit)
    rows = [("ID", "KIND", "STATUS", "STAGE", "PROGRESS", "AGE")]
    for job in page["data"]:
        fraction = job["progress"]["fraction"]
        done = f"{fraction:.0%}" if fraction is not None else "-"
        stage = job["stage"] or "-"
        rows.append((job["id"], job["kind"], job["status"], stage, done, _age(job["created_at"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    if page["has_more"]:
        typer.echo(f"(more: --limit {min(100, limit * 2)})", err=True)


def cancel(job_id: str, api: ApiUrl = DEFAULT_API) -> None:
    """Cancel a job: a queued one at once, a running one at its next step boundary."""
    with service(api) as http:
        job = api_client.cancel(http, job_id)
    note = "" if job["status"] == "cancelled" else " (it stops at its next step boundary)"
    typer.echo(f"{job['id']}: {job['status']}{note}")


def logs(
    job_id: str,
    follow: Annotated[bool, typer.Option(help="Keep printing until the job ends.")] = False,
    api: ApiUrl = DEFAULT_API,
) -> None:
    """Print a job's event log; with --follow, until the job ends."""

    def show(event: dict) -> None:
        typer.echo(f"{event['ts']} {api_client.event_line(event)}")

    with service(api) as http:
        if follow:
            api_client.wait(http, job_id, show=show)
        else:
            for event in api_client.new_events(http, job_id, 0):
                show(event)


def watch(
    job_id: str,
    every: Annotated[
        float | None,
        typer.Option(help="Seconds between progress lines [default: 2 on a terminal, else 30]."),
    ] = None,
    api: ApiUrl = DEFAULT_API,
) -> None:
    """Follow a job's progress, stage, latest loss and ETA until it ends; exit 0 if it
    succeeded, 1 if it failed or was cancelled."""
    lines = ProgressLines(sys.stderr, every if every else 2.0 if sys.stderr.isatty() else 30.0)
    with service(api) as http:
        job = follow_job(http, job_id, lines)
    finished = job["progress"]["elapsed_s"]
    typer.echo(f"{job['id']} {job['status']} after {duration(finished)}", err=True)
    if job["error"]:
        typer.echo(f"error: {job['error']['message']}\nhint: {job['error']['hint']}", err=True)
    raise typer.Exit(0 if job["status"] == "succeeded" else 1)


def follow_job(http: httpx.Client, job_id: str, lines: ProgressLines) -> dict:
    """Progress lines from the job's progress stream until it ends; returns the job."""
    job: dict = {}
    loss: float | None = None
    for event in with_ticks(api_client.stream(http, f"/jobs/{job_id}/stream"), lines.every_s):
        if event is None:  # a quiet stream: the periodic line reads the job, for a current ETA
            with suppress(api_client.ApiError):  # the API restarting: the stream reconnects
                job = api_client.read_job(http, job_id)
        elif event.event == "metric":
            point = event.json()
            loss = point["loss"] if point["loss"] is not None else loss
        else:  # progress, or the end
            job = event.json()
        if job:
            lines.update(job, lambda: loss)  # noqa: B023 (called at once, in this loop)
    return job  # the stream's last event is `end`: the job at its final status


def checkpoints(job_id: str, api: ApiUrl = DEFAULT_API) -> None:
    """List the checkpoints a job saved: phase, step, eval loss, reference, path."""
    with service(api) as http:
        saved = api_client.checkpoints(http, job_id)
    if not saved:
        typer.echo(f"{job_id} saved no checkpoints", err=True)
    for point in saved:
        metrics: dict = point["metrics"] or {}
        loss = metrics.get("eval_loss")
        shown = f"eval_loss {loss:.4g}" if isinstance(loss, int | float) else "-"
        gone = "" if point.get("on_disk", True) else "  (deleted: beyond save_total_limit)"
        where = f"{point['reference']}  {point['path']}{gone}"
        typer.echo(f"{point['phase']:<5} {point['step']:>7}  {shown:<18} {where}")


COMMANDS: list[tuple[Callable, dict]] = [
    (
        submit,
        {
            "context_settings": {"allow_extra_args": True, "ignore_unknown_options": True},
            "add_help_option": False,
        },
    ),
    (status, {}),
    (jobs, {}),
    (cancel, {}),
    (logs, {}),
    (watch, {}),
    (checkpoints, {}),
]
