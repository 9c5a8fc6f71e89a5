"""`c64ft`: run the service (up, serve, worker), talk to it (submit, jobs, watch, …), or run a
job here (run)."""

import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from c64ft import client as api_client
from c64ft import db_commands, job_commands
from c64ft.run_command import run
from core.config import get_settings
from core.routing import parse_devices, worker_gpu_queues

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
KIND_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True}
app.command(context_settings=KIND_ARGS, add_help_option=False)(run)
for command, options in job_commands.COMMANDS:
    app.command(**options)(command)
app.add_typer(db_commands.app, name="db")


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
    access_log: Annotated[
        bool, typer.Option(help="Log every request, polling reads (GET) included.")
    ] = False,
) -> None:
    """Run the API (uvicorn). Its access log leaves out answered reads unless --access-log."""
    import uvicorn

    from c64ft.processes import uvicorn_log_config

    db_commands.require_current_schema()
    config = uvicorn_log_config(access_log)
    uvicorn.run("api.main:app", host=host, port=port, workers=workers, log_config=config)


GPUS_HELP = (
    "GPU ids this worker owns, e.g. 0,1,2,3: its jobs see only these (CUDA_VISIBLE_DEVICES, "
    "HIP_VISIBLE_DEVICES) and it takes jobs needing up to that many (queues gpu … gpu.N)."
)


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="Comma-separated queues: gpu, cpu.")] = "gpu,cpu",
    gpus: Annotated[str | None, typer.Option(help=GPUS_HELP)] = None,
    loglevel: str = "INFO",
) -> None:
    """Run a Celery worker: one job at a time, each in a fresh process."""
    from worker.celery_app import celery_app

    db_commands.require_current_schema()
    names = [q.strip() for q in queues.split(",") if q.strip()]
    devices = _owned_devices(gpus) if gpus is not None else []
    label = "-".join(names + ([f"gpus{'_'.join(devices)}"] if devices else []))
    hostname = get_settings().worker_name or f"{label}.{os.getpid()}@%h"
    names += [queue for queue in worker_gpu_queues(len(devices)) if queue not in names]
    argv = ["worker", "--queues", ",".join(names), "--loglevel", loglevel, "--hostname", hostname]
    argv += ["--pool", "prefork", "--concurrency", "1", "--without-gossip", "--without-mingle"]
    if devices:
        # Every pool process is forked from this one, so each job sees only these devices.
        ids = ",".join(devices)
        os.environ.update(CUDA_VISIBLE_DEVICES=ids, HIP_VISIBLE_DEVICES=ids)
        argv += ["--gpus", ids]
    raise typer.Exit(_run_worker(celery_app, argv))


def _run_worker(celery_app, argv: list[str]) -> int:
    """Run the Celery worker; its exit status, which `Celery.start` does not pass on (a start
    refused for a device another worker owns: worker.tasks.EX_DEVICE_CONFLICT)."""
    from celery.signals import worker_shutdown

    statuses: list[int] = []
    worker_shutdown.connect(lambda sender, **_: statuses.append(sender.exitcode), weak=False)
    celery_app.start(argv)
    return statuses[-1] if statuses and statuses[-1] else 0


def _owned_devices(gpus: str) -> list[str]:
    try:
        return parse_devices(gpus)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--gpus") from None


@app.command()
def up(
    host: str = "127.0.0.1",
    port: int = 8000,
    access_log: Annotated[
        bool, typer.Option(help="Log every request, polling reads (GET) included.")
    ] = False,
    gpus: Annotated[
        list[str] | None,
        typer.Option(help="A gpu worker owning these GPU ids (0,1); repeat for one per set."),
    ] = None,
) -> None:
    """Run the API and a gpu and a cpu worker on this machine; Ctrl-C stops them all.

    Each process logs to its file under data/logs/up/ and, prefixed with its name, here."""
    from c64ft.processes import log_dir, port_in_use, run_together

    me = [sys.executable, "-m", "c64ft"]
    gpu_workers = _gpu_workers(me, gpus or [])
    if busy := port_in_use(host, port):  # who holds it, not uvicorn's bare "address in use"
        typer.echo(busy, err=True)
        raise typer.Exit(2)
    db_commands.require_current_schema()  # once, here, rather than once per process
    config()
    logs = log_dir(get_settings().workspace, "up")
    serve = [*me, "serve", "--host", host, "--port", str(port)]
    commands = {"api": [*serve, "--access-log"] if access_log else serve}
    commands |= gpu_workers | {"worker-cpu": [*me, "worker", "--queues", "cpu"]}
    files = ", ".join(str(logs / f"{name}.log") for name in commands)
    typer.echo(f"logs: {files}")
    typer.echo(f"API on http://{host}:{port} (Swagger UI: /docs). Ctrl-C stops everything.")
    raise typer.Exit(run_together(commands, log_dir=logs))


def _gpu_workers(me: list[str], gpu_sets: list[str]) -> dict[str, list[str]]:
    """`c64ft up`'s gpu workers: one per --gpus set (refused when two share a device), or one
    owning no device in particular."""
    if not gpu_sets:
        return {"worker-gpu": [*me, "worker", "--queues", "gpu"]}
    worker = [*me, "worker", "--queues", "gpu"]
    commands: dict[str, list[str]] = {}
    owned: set[str] = set()
    for devices in map(_owned_devices, gpu_sets):
        if shared := owned & set(devices):
            message = f"GPU {', '.join(sorted(shared))} given twice"
            raise typer.BadParameter(message, param_hint="--gpus")
        owned |= set(devices)
        commands[f"worker-gpu{'-'.join(devices)}"] = [*worker, "--gpus", ",".join(devices)]
    return commands


@app.command()
def kinds() -> None:
    """List the job kinds (the registry, C64FT_EXTRA_KINDS included): name, queue, what it does."""
    from core.kinds import KINDS

    for name, kind in KINDS.items():
        about = kind.spec.model_fields["kind"].description or ""
        typer.echo(f"{name:<20} {kind.queue:<9} {about}")


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


@app.command("sample-corpus")
def sample_corpus(
    directory: Annotated[
        Path, typer.Argument(help="Folder to fill (a relative path is under the workspace).")
    ] = Path("c64_docs"),
) -> None:
    """Copy the bundled sample corpus (seven C64 manuals, HTML and PDF) to DIRECTORY."""
    from c64ft.corpus import copy_sample_corpus

    target = get_settings().workspace / directory  # an absolute path stays as it is
    try:
        copied = copy_sample_corpus(target)
    except FileExistsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{'copied the sample corpus to' if copied else 'already there:'} {target}")


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
