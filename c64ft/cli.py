"""`c64ft`: run the service (up, serve, worker), talk to it (submit, status), or run a job here."""

import json
import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from c64ft import client as api_client
from c64ft.fields import FieldSyntaxError, parse_fields
from core.config import get_settings

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
EXTRA = {"allow_extra_args": True, "ignore_unknown_options": True}
ApiUrl = Annotated[str, typer.Option(help="Base URL of the c64ft API.")]
DEFAULT_API = "http://127.0.0.1:8000"


def _print_json(data) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _fields(ctx: typer.Context, kind: str) -> dict:
    try:
        return {"kind": kind, **parse_fields(ctx.args)}
    except FieldSyntaxError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def config() -> None:
    """Print the settings in force (C64FT_* variables, .env, defaults)."""
    for name, value in get_settings().in_force().items():
        typer.echo(f"{name}={value}")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
) -> None:
    """Run the API (uvicorn)."""
    import uvicorn

    uvicorn.run("api.main:app", host=host, port=port, workers=workers, log_level="info")


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="Comma-separated queues: gpu, cpu.")] = "gpu,cpu",
    loglevel: str = "INFO",
) -> None:
    """Run a Celery worker: one job at a time, each in a fresh process."""
    from worker.celery_app import celery_app

    names = [q.strip() for q in queues.split(",") if q.strip()]
    hostname = f"{'-'.join(names)}.{os.getpid()}@%h"
    argv = ["worker", "--queues", ",".join(names), "--loglevel", loglevel, "--hostname", hostname]
    argv += ["--pool", "prefork", "--concurrency", "1", "--without-gossip", "--without-mingle"]
    celery_app.worker_main(argv)


@app.command()
def up(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API and a gpu and a cpu worker on this machine; Ctrl-C stops them all."""
    from c64ft.processes import port_in_use, run_together

    if busy := port_in_use(host, port):  # who holds it, not uvicorn's bare "address in use"
        typer.echo(busy, err=True)
        raise typer.Exit(2)
    config()
    typer.echo(f"API on http://{host}:{port} (Swagger UI: /docs). Ctrl-C stops everything.")
    me = [sys.executable, "-m", "c64ft"]
    commands = {
        "api": [*me, "serve", "--host", host, "--port", str(port)],
        "worker-gpu": [*me, "worker", "--queues", "gpu"],
        "worker-cpu": [*me, "worker", "--queues", "cpu"],
    }
    raise typer.Exit(run_together(commands))


@app.command(context_settings=EXTRA)
def submit(
    ctx: typer.Context,
    kind: str,
    wait: Annotated[bool, typer.Option(help="Follow the job until it finishes.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only resolve and check the spec.")] = False,
    api: ApiUrl = DEFAULT_API,
) -> None:
    """Submit a job: c64ft submit KIND --field value … (e.g. gpu_smoke --allow-cpu)."""
    with api_client.make_client(api) as http:
        try:
            job = api_client.submit(http, _fields(ctx, kind), dry_run=dry_run)
            if wait and not dry_run:
                typer.echo(f"submitted {job['id']}", err=True)
                job = api_client.wait(http, job["id"])
        except api_client.ApiError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc
    _print_json(job)
    if wait and job["status"] != "succeeded":
        raise typer.Exit(1)


@app.command()
def kinds() -> None:
    """List the job kinds (the registry, C64FT_EXTRA_KINDS included): name, queue, what it does."""
    from core.kinds import KINDS

    for name, kind in KINDS.items():
        about = kind.spec.model_fields["kind"].description or ""
        typer.echo(f"{name:<20} {kind.queue:<9} {about}")


@app.command()
def status(job_id: str, api: ApiUrl = DEFAULT_API) -> None:
    """Print one job as the API sees it."""
    with api_client.make_client(api) as http:
        try:
            _print_json(api_client.read_job(http, job_id))
        except api_client.ApiError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc


@app.command(context_settings=EXTRA)
def run(ctx: typer.Context, kind: str) -> None:
    """Run one job in this process, no service: c64ft run KIND --field value …"""
    from c64ft.console import ConsoleContext
    from core.errors import JobCancelled, JobFailure
    from core.kinds import KINDS, JobSpec
    from core.kinds.running import run_spec
    from core.preflight import input_problems
    from core.specs.base import SpecBase

    try:
        spec: SpecBase = TypeAdapter(JobSpec).validate_python(_fields(ctx, kind))
    except ValidationError as exc:
        typer.echo(f"invalid spec:\n{exc}", err=True)
        raise typer.Exit(2) from exc
    if problems := input_problems(spec):  # what the API would refuse with 422
        for problem in problems:
            typer.echo(f"invalid {problem.param}: {problem.message}", err=True)
        raise typer.Exit(2)
    if KINDS[spec.kind].runner is None:
        typer.echo(
            f"{kind} runs its steps as jobs of the service: start it (`c64ft up`) and "
            f"`c64ft submit {kind} …`, or try `c64ft demo`",
            err=True,
        )
        raise typer.Exit(2)
    console = ConsoleContext(workspace=get_settings().workspace)
    try:
        result = run_spec(spec, console)
    except JobFailure as exc:
        if exc.result is not None:  # e.g. the validation report of a dataset that failed it
            _print_json(exc.result)
        typer.echo(f"failed: {exc.type}: {exc.message}\nhint: {exc.hint}", err=True)
        raise typer.Exit(1) from exc
    except (JobCancelled, KeyboardInterrupt) as exc:
        typer.echo("cancelled", err=True)
        raise typer.Exit(130) from exc
    _print_json(result)


@app.command()
def demo(
    api: Annotated[
        str | None, typer.Option(help="Use this running service instead of starting one.")
    ] = None,
) -> None:
    """The whole workflow on the sample corpus and the tiny model, on this machine's CPU.

    The current directory (C64FT_WORKSPACE) is the workspace; exit code 0 only on PASS.
    """
    from c64ft import demo as run_demo

    workspace = get_settings().workspace
    run_demo.prepare_workspace(workspace)
    try:
        with run_demo.local_service(workspace) if api is None else nullcontext(api) as url:
            passed = _demo_workflow(url, workspace)
    except (RuntimeError, api_client.ApiError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    raise typer.Exit(0 if passed else 1)


def _demo_workflow(url: str, workspace: Path) -> bool:
    from c64ft import demo as run_demo

    with api_client.make_client(url) as http:
        job = api_client.submit(http, run_demo.workflow_spec())
        typer.echo(f"workflow {job['id']} submitted to {url}", err=True)
        try:
            job = run_demo.follow(http, job["id"])
        except KeyboardInterrupt:
            http.post(f"/jobs/{job['id']}/cancel")
            typer.echo(f"cancelled workflow {job['id']}", err=True)
            raise
        return run_demo.report(http, job, workspace)


@app.command("make-tiny-model")
def make_tiny_model(
    directory: Annotated[
        Path, typer.Argument(help="Folder to create (a relative path is under the workspace).")
    ] = Path("models/tiny-ministral3"),
    corpus: Annotated[
        Path | None,
        typer.Option(help="*.html and *.pdf to train the tokenizer on (default: the sample)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random weights.")] = 0,
    force: Annotated[bool, typer.Option(help="Replace the folder if it is not empty.")] = False,
) -> None:
    """Build a tiny random model of the real architecture, offline: for tests and quick starts."""
    from core.tiny_model import CorpusError
    from core.tiny_model import make_tiny_model as build

    workspace = get_settings().workspace
    try:
        built = build(
            workspace / directory,  # an absolute path stays as it is
            corpus_dir=workspace / corpus if corpus else None,
            seed=seed,
            force=force,
        )
    except (FileExistsError, CorpusError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    size = sum(f.stat().st_size for f in built.iterdir())
    typer.echo(f"{built} ({size / 1e6:.1f} MB)")


@app.command("setup-llama-cpp")
def setup_llama_cpp() -> None:
    """Fetch llama.cpp's converter scripts for the installed llama-cpp-python (the export job
    needs them; it fetches them itself on first use, so this is for machines that will have no
    access to the package index when they run jobs, such as a worker image)."""
    from core.errors import JobFailure
    from core.gguf.converter import ensure_converter

    try:
        typer.echo(ensure_converter())
    except JobFailure as exc:
        typer.echo(f"{exc.message}\n{exc.hint or ''}", err=True)
        raise typer.Exit(1) from exc
