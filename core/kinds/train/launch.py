"""A train job on several devices: PyTorch's torchrun starts one process per device (DDP, or
FSDP for a full fine-tune), while this process, the job's own, keeps its heartbeat, relays
rank 0's reports with the job's context, passes a cancel on, and reads the ranks' outcomes.

The launch folder (a temporary one) holds what the ranks share with the launcher
(`core.kinds.train.relay`). torchrun runs standalone (one host) and in a session of its own,
so that an interrupted job kills the whole group: torchrun and every rank.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import torch

import core
from core.context import RunContext
from core.errors import JobCancelled, JobFailure, JobLost
from core.kinds.train.relay import (
    CANCEL_FILE,
    LAUNCH_FILE,
    Relay,
    outcome_file,
    write_json,
)
from core.kinds.train.spec import TrainSpec

POLL_S = 0.2
STOP_GRACE_S = 10.0  # after SIGTERM, torchrun's time to stop its ranks before SIGKILL
LOG_FILE = "torchrun.log"
LOG_TAIL = 4000


def run_ranks(spec: TrainSpec, ctx: RunContext) -> dict[str, Any]:
    """Train on `spec.gpus` processes; returns rank 0's result. Raises JobFailure (a rank's,
    out_of_memory on any rank first), JobCancelled, or JobLost when a rank died unheard."""
    _check_devices(spec)
    with tempfile.TemporaryDirectory(prefix="c64ft-ranks-") as name:
        folder = Path(name)
        saved = {}
        if spec.from_checkpoint:  # the ranks have no job database to look it up in
            job_id = spec.from_checkpoint.split(":")[0]
            saved[job_id] = ctx.saved_checkpoints(job_id)
        launch = {"spec": spec.model_dump(mode="json"), "workspace": str(ctx.workspace)}
        write_json(folder / LAUNCH_FILE, launch | {"saved": saved})
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        ctx.set_stage(
            "launch",
            f"starting {spec.gpus} training processes (torchrun, {spec.distributed}, {backend})",
            processes=spec.gpus,
            distributed=spec.distributed,
            backend=backend,
        )
        relay = Relay(folder, ctx)
        _follow(_start(folder, spec.gpus), folder, relay, ctx)
        return _outcome(folder, spec, relay, ctx)


def _check_devices(spec: TrainSpec) -> None:
    if not torch.cuda.is_available():
        return  # the ranks fail with no_gpu, or train on the CPU with allow_cpu
    seen = torch.cuda.device_count()
    if seen < spec.gpus:
        raise JobFailure(
            "not_enough_gpus",
            f"the job asks for {spec.gpus} GPUs and this worker sees {seen}",
            hint="Give the worker that many devices (c64ft worker --gpus), or lower gpus.",
            param="gpus",
        )


def _start(folder: Path, processes: int) -> subprocess.Popen:
    """torchrun in a session of its own, the ranks importing this very code (PYTHONPATH)."""
    root = str(Path(core.__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [root, path]))}
    argv = [sys.executable, "-m", "core.training.torchrun", "--standalone"]
    argv += [f"--nproc-per-node={processes}", "--max-restarts=0"]
    argv += ["-m", "core.kinds.train.rank", str(folder)]
    log = (folder / LOG_FILE).open("ab")
    try:
        return subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    finally:
        log.close()  # the child has its own copy


def _follow(proc: subprocess.Popen, folder: Path, relay: Relay, ctx: RunContext) -> None:
    """Relay rank 0's reports until torchrun ends; a cancel request goes to rank 0. When this
    process is interrupted (the cancel grace ran out, the worker stops) the group is killed."""
    try:
        while proc.poll() is None:
            relay.pump()
            if ctx.cancel_requested.is_set() and not (folder / CANCEL_FILE).exists():
                (folder / CANCEL_FILE).touch()
            time.sleep(POLL_S)
    except BaseException:
        _kill(proc)
        raise
    finally:
        relay.pump()


def _kill(proc: subprocess.Popen) -> None:
    """SIGTERM to the group (torchrun stops its ranks), SIGKILL to what is left after a grace."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _read_outcomes(folder: Path, processes: int) -> dict[int, dict[str, Any] | None]:
    outcomes: dict[int, dict[str, Any] | None] = {}
    for rank in range(processes):
        path = outcome_file(folder, rank)
        outcomes[rank] = json.loads(path.read_text()) if path.is_file() else None
    return outcomes


def _outcome(folder: Path, spec: TrainSpec, relay: Relay, ctx: RunContext) -> dict[str, Any]:
    """Rank 0's result, or what ended the run, in this order: out of memory on any rank;
    rank 0's cancel or failure; another rank's failure; a rank that died unheard (the group
    is retried); an unexpected error."""
    outcomes = _read_outcomes(folder, spec.gpus)
    summary = {r: (o or {}).get("outcome", "died") for r, o in outcomes.items()}
    ctx.event(
        "training processes ended: " + ", ".join(f"rank {r} {what}" for r, what in summary.items()),
        data={"ranks": {str(r): o and _brief(o) for r, o in outcomes.items()}},
    )
    _rewrite_metrics(spec, relay, ctx)
    failures = [(r, o) for r, o in outcomes.items() if o and o["outcome"] == "failure"]
    for rank, found in failures:
        if found["error"]["type"] == "out_of_memory":
            raise _failure(rank, found)
    first = outcomes[0]
    if first and first["outcome"] == "cancelled":
        raise JobCancelled(first["message"])
    if failures:
        raise _failure(*failures[0])
    died = [r for r, o in outcomes.items() if o is None]
    if died:
        tail = (folder / LOG_FILE).read_text(errors="replace")[-LOG_TAIL:]
        ctx.event("torchrun's log, its end", level="warning", data={"log": tail})
        raise JobLost(f"rank {', '.join(map(str, died))} of {spec.gpus} died without a word")
    errors = [(r, o) for r, o in outcomes.items() if o and o["outcome"] == "error"]
    if errors:
        rank, found = errors[0]
        ctx.event(found["message"], level="error", data={"traceback": found["traceback"]})
        raise RuntimeError(f"rank {rank}: {found['message']}")
    assert first is not None
    return first["result"]


def _brief(outcome: dict[str, Any]) -> dict[str, Any]:
    """What the event of the ranks' ends says of one outcome: no result, no traceback."""
    return {k: v for k, v in outcome.items() if k not in ("result", "traceback")}


def _failure(rank: int, outcome: dict[str, Any]) -> JobFailure:
    error = outcome["error"]
    message = error["message"] if rank == 0 else f"rank {rank}: {error['message']}"
    failure = JobFailure(
        error["type"], message, hint=error["hint"], param=error["param"], stage=error["stage"]
    )
    failure.result = outcome.get("result")
    return failure


def _rewrite_metrics(spec: TrainSpec, relay: Relay, ctx: RunContext) -> None:
    """Rank 0 wrote the metrics file from its own points; the job's context may know more (the
    job database: an earlier attempt's points too), so the file is written again from it."""
    from core.metrics_csv import FILE_NAME, write_csv
    from core.specs.paths import resolve

    path = resolve(ctx.workspace, spec.tracking_dir()) / FILE_NAME
    if relay.points and path.is_file():
        write_csv(path, ctx.metric_rows(relay.points))
