"""Benchmark the scheduler: many short jobs across several workers, on Postgres and on SQLite.

For each database: a fresh one (Postgres: a new database on the server of --postgres-url;
SQLite: the default file in a temp workspace), a private redis-server, one API process and
--workers `c64ft worker --queues cpu` processes, each with its own C64FT_WORKER_NAME as on
separate hosts. Then:

- backlog: --jobs echo jobs (tests/kinds/echo.py, one saying, no pause) POSTed through the API
  as fast as 4 clients can, while the workers drain them. jobs/s = jobs / (last finished - first
  claimed); a worker's turnaround = its previous job's finished_at -> its next started_at (the
  pool process replaced, the next message fetched, the claim);
- paced: --paced jobs sent one by one at half the backlog's rate, so a worker is usually free:
  queued -> claimed = created_at -> started_at, what a job waits on an idle service;
- in both: the claim call = started_at (stamped just before the claim's transaction) -> the
  "claimed by" event (written just after its commit);
- check: every job succeeded on attempt 1 with exactly one claim event and one saying (the
  runner's mark), so no job ran twice. --send-twice delivers every message twice, so that
  workers race for each job.

Prints a table per database. Run: python bench/bench_scheduler.py [--jobs 1000] [--workers 4]
[--paced 100] [--backends postgres sqlite] [--postgres-url URL] [--send-twice]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import redis
from sqlalchemy import create_engine, make_url, text
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.config import Settings  # noqa: E402 (after the path: the bench runs from any folder)
from core.jobs.models import Job, JobEvent  # noqa: E402
from worker.celery_app import TASK_NAME, make_celery  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ECHO = {"kind": "echo", "word": "bench"}
SUBMITTERS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


class Children:
    """Every process started, each in its own process group (Celery forks pool processes)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.procs = folder, []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.folder / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                argv,
                cwd=self.folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# ---------------------------------------------------------------- databases


def create_postgres(server: str) -> str:
    name = f"c64ft_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_postgres(server: str, url: str) -> None:
    name = make_url(url).database
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


# ---------------------------------------------------------------- one run


@dataclass
class Run:
    backend: str
    jobs: list[Job]  # the backlog's
    paced: list[Job]
    claim_events: dict[str, list[JobEvent]]
    sayings: Counter
    submit_s: float
    load: tuple[str, str]  # /proc/loadavg before and after
    busy: float  # cores busy, all processes, during the run


def cpu_times() -> tuple[float, float]:
    first_line = Path("/proc/stat").read_text().splitlines()[0]
    fields = [float(x) for x in first_line.split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def service_env(workspace: Path, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")}
    return env | {
        "C64FT_WORKSPACE": str(workspace),
        "C64FT_DATABASE_URL": database_url,
        "C64FT_BROKER_URL": redis_url,
        "C64FT_EXTRA_KINDS": '["tests.kinds.echo"]',
        "PYTHONPATH": str(ROOT),
    }


def start_service(children: Children, env: dict[str, str], workers: int) -> httpx.Client:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    children.start("api", argv, env)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    wait_until(lambda: _health(http) is not None, 60, "the API")
    for n in range(workers):
        named = env | {"C64FT_WORKER_NAME": f"bench@host-{n}", "C64FT_NODE_NAME": f"host-{n}"}
        argv = [sys.executable, "-m", "c64ft", "worker", "--queues", "cpu", "--loglevel", "warning"]
        children.start(f"worker-{n}", argv, named)
    wait_until(lambda: (_health(http) or {}).get("workers") == workers, 120, "the workers")
    return http


def _health(http: httpx.Client) -> dict | None:
    try:
        return http.get("/health").json()
    except httpx.TransportError:
        return None


class Submitter:
    """POSTs echo jobs through the API; with `twice`, each job's second message goes to its
    queue right after the first (a redelivery or a reaper's resend), so two workers race."""

    def __init__(self, http: httpx.Client, env: dict[str, str], twice: bool) -> None:
        self.http, self.lock = http, threading.Lock()
        settings = Settings(workspace=env["C64FT_WORKSPACE"], broker_url=env["C64FT_BROKER_URL"])
        self.celery = make_celery(settings) if twice else None
        self.redis_url = env["C64FT_BROKER_URL"]

    def one(self, _: int = 0) -> str:
        response = self.http.post("/jobs", json=ECHO)
        response.raise_for_status()
        job_id = response.json()["id"]
        if self.celery is not None:
            with self.lock:
                self.celery.send_task(TASK_NAME, args=[job_id], queue="cpu")
        return job_id

    def many(self, count: int) -> list[str]:
        with ThreadPoolExecutor(SUBMITTERS) as pool:
            return list(pool.map(self.one, range(count)))

    def wait_drained(self) -> None:
        """Until no message waits or runs: the refused duplicates are done too."""
        with redis.Redis.from_url(self.redis_url) as client:
            drained = lambda: client.llen("cpu") == 0 and client.hlen("unacked") == 0  # noqa: E731
            wait_until(drained, 300, "the queue to drain", every=0.2)

    def close(self) -> None:
        if self.celery is not None:
            self.celery.close()


def wait_finished(engine, job_ids: list[str], timeout: float) -> None:
    query = select(Job.id).where(col(Job.id).in_(job_ids), col(Job.finished_at).is_not(None))

    def done() -> bool:
        with Session(engine) as session:
            return len(session.exec(query).all()) == len(job_ids)

    wait_until(done, timeout, f"{len(job_ids)} jobs to finish", every=0.5)


def read_jobs(engine, job_ids: list[str]) -> list[Job]:
    with Session(engine) as session:
        return list(session.exec(select(Job).where(col(Job.id).in_(job_ids))))


def read_events(engine) -> tuple[dict[str, list[JobEvent]], Counter]:
    with Session(engine) as session:
        events = list(session.exec(select(JobEvent)))
    claims: dict[str, list[JobEvent]] = defaultdict(list)
    sayings: Counter = Counter()
    for event in events:
        if event.stage == "claim":
            claims[event.job_id].append(event)
        elif event.message.startswith("echo:"):
            sayings[event.job_id] += 1
    return claims, sayings


def run_backend(backend: str, args) -> Run:
    """One database's run, with a redis-server of its own (no message of one run reaches the
    other's workers)."""
    folder = Path(tempfile.mkdtemp(prefix=f"c64ft-bench-{backend}-"))
    redis, redis_url = start_redis(folder)
    server = args.postgres_url
    url = create_postgres(server) if backend == "postgres" else f"sqlite:///{folder}/data/c64ft.db"
    children = Children(folder)
    env = service_env(folder, url, redis_url)
    engine = None
    try:
        http = start_service(children, env, args.workers)
        engine = create_engine(url)
        load_before, (busy0, total0) = loadavg(), cpu_times()
        submitter = Submitter(http, env, args.send_twice)
        t0 = time.monotonic()
        ids = submitter.many(args.jobs)
        submit_s = time.monotonic() - t0
        wait_finished(engine, ids, timeout=args.jobs * 2 + 60)
        rate = throughput(read_jobs(engine, ids))
        submitter.wait_drained()
        paced_ids = []
        for _ in range(args.paced):
            paced_ids.append(submitter.one())
            time.sleep(2 / rate)  # half the backlog's rate: a worker is usually free
        wait_finished(engine, paced_ids, timeout=120)
        submitter.wait_drained()
        submitter.close()
        busy1, total1 = cpu_times()
        cores = os.cpu_count() or 1
        busy = (busy1 - busy0) / (total1 - total0) * cores
        claims, sayings = read_events(engine)
        return Run(
            backend,
            read_jobs(engine, ids),
            read_jobs(engine, paced_ids),
            claims,
            sayings,
            submit_s,
            (load_before, loadavg()),
            busy,
        )
    finally:
        children.stop_all()
        redis.terminate()
        redis.wait(10)
        if engine is not None:
            engine.dispose()
        if backend == "postgres":
            drop_postgres(server, url)
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- figures


def seconds(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds()


def throughput(jobs: list[Job]) -> float:
    first = min(j.started_at for j in jobs if j.started_at)
    last = max(j.finished_at for j in jobs if j.finished_at)
    return len(jobs) / seconds(first, last)


def turnarounds(jobs: list[Job]) -> list[float]:
    """Per worker: previous job finished -> next job claimed, while jobs waited."""
    by_worker: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        by_worker[(job.worker or "").rsplit(" pid ", 1)[0]].append(job)
    gaps = []
    for runs in by_worker.values():
        runs.sort(key=lambda j: j.started_at)
        gaps += [seconds(a.finished_at, b.started_at) for a, b in zip(runs, runs[1:], strict=False)]
    return gaps


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(values: list[float]) -> str:
    return f"{pct(values, 50) * 1000:9.1f} {pct(values, 99) * 1000:9.1f}"


def problems(run: Run) -> list[str]:
    found = []
    for job in run.jobs + run.paced:
        claims, said = len(run.claim_events[job.id]), run.sayings[job.id]
        if job.status != "succeeded" or job.attempt != 1 or claims != 1 or said != 1:
            found.append(f"{job.id}: {job.status}, attempt {job.attempt}, {claims} claims, {said}")
    return found


def report(run: Run, workers: int) -> bool:
    def claim_call(jobs: list[Job]) -> list[float]:
        return [seconds(j.started_at, run.claim_events[j.id][0].ts) for j in jobs]

    per_worker = Counter((j.worker or "").rsplit(" pid ", 1)[0] for j in run.jobs)
    found = problems(run)
    print(
        f"\n{run.backend}: {len(run.jobs)} jobs backlog + {len(run.paced)} paced, {workers} workers"
    )
    print(f"load average before {run.load[0]}, after {run.load[1]}; cores busy {run.busy:.2f}")
    print(f"submitted             {len(run.jobs) / run.submit_s:9.1f} jobs/s through the API")
    print(f"drained               {throughput(run.jobs):9.1f} jobs/s (first claim -> last finish)")
    print(f"jobs per worker       {sorted(per_worker.values())}")
    print(f"{'latency':40}{'p50 ms':>9} {'p99 ms':>9}")
    paced_waits = [seconds(j.created_at, j.started_at) for j in run.paced]
    print(f"{'queued -> claimed, paced':40}{ms(paced_waits)}")
    print(f"{'worker turnaround, backlog':40}{ms(turnarounds(run.jobs))}")
    print(f"{'claim call, backlog':40}{ms(claim_call(run.jobs))}")
    print(f"{'claim call, paced':40}{ms(claim_call(run.paced))}")
    backlog_waits = [seconds(j.created_at, j.started_at) for j in run.jobs]
    print(f"{'queued -> claimed, backlog (queue wait)':40}{ms(backlog_waits)}")
    verdict = "PASS" if not found else "FAIL"
    total = len(run.jobs) + len(run.paced)
    print(
        f"[{verdict}] no job ran twice: {total - len(found)} of {total} jobs succeeded on "
        "attempt 1 with one claim and one saying"
    )
    for line in found[:10]:
        print("   ", line)
    return not found


# ---------------------------------------------------------------- main


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--dir", str(folder)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)

    def answers() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    wait_until(answers, 10, "redis-server")
    return proc, f"redis://127.0.0.1:{port}/0"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--paced", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--backends", nargs="+", default=["postgres", "sqlite"])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("C64FT_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a server database to connect to; the bench creates and drops its own",
    )
    parser.add_argument("--send-twice", action="store_true", help="every message sent twice")
    parser.add_argument("--keep", action="store_true", help="keep the workspaces and logs")
    args = parser.parse_args()
    print(
        f"{datetime.now():%Y-%m-%d %H:%M} on {os.cpu_count()} CPUs, "
        f"{'each message twice' if args.send_twice else 'each message once'}"
    )
    busy0, total0 = cpu_times()
    time.sleep(5)
    busy1, total1 = cpu_times()
    idle_load = (busy1 - busy0) / (total1 - total0) * (os.cpu_count() or 1)
    print(f"before starting anything: load average {loadavg()}, cores busy {idle_load:.2f} (5 s)")
    ok = True
    for backend in args.backends:
        ok &= report(run_backend(backend, args), args.workers)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
