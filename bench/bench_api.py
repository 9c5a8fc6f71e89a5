"""Benchmark the c64ft API against a textbook FastAPI + SQLModel + SQLite app, with wrk.

Phase 1 (throughput): our API with no Celery worker, one queued job; wrk loads GET /jobs/{id}
(32 connections) and POST /jobs (16 connections), then GET /jobs/{id} again while 10 clients
stream GET /jobs/{id}/events/stream; then, with those streams still open, the bench writes
events to the job database itself (core.jobs.journal.add_event, the time taken just before)
and an 11th stream client times each from write to receipt. Then the same two wrk loads on a
textbook app (GET /heroes/{id}, POST /heroes). Both apps run under uvicorn with the same
--workers W and no access log.
Phase 2 (queue latency): a fresh workspace, Redis db and API, plus one real worker; N jobs
are submitted one at a time and each is polled every 5 ms until it leaves `queued`. Each job
waits until the worker is idle again (the previous job's pool process replaced), unless
--back-to-back is given.

Prints a table and PASS/MISS against the targets. Needs wrk (`apt-get install -y wrk`) and a
Redis server; it FLUSHes the Redis db it is given (default 14). Run: python bench/bench_api.py
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import redis
from httpx_sse import connect_sse

JOB_BODY = '{"kind":"gpu_smoke","allow_cpu":true,"matrix_size":16}'
HERO_BODY = '{"name":"x"}'
POLL_S = 0.005
STREAM_CLIENTS = 10
TERMINAL = {"succeeded", "failed", "cancelled"}

# The textbook app: the SQLModel-with-FastAPI tutorial, as written there (sync endpoints, a
# session per request from a yield dependency, the table model used as body and response).
TEXTBOOK_APP = """\
import os
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from sqlmodel import Field, Session, SQLModel, create_engine


class Hero(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str


engine = create_engine(
    f"sqlite:///{os.environ['HEROES_DB']}", connect_args={"check_same_thread": False}
)


def get_session():
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@asynccontextmanager
async def lifespan(_app: FastAPI):
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        if session.get(Hero, 1) is None:
            session.add(Hero(id=1, name="first"))
            session.commit()
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/heroes/{hero_id}")
def read_hero(hero_id: int, session: SessionDep) -> Hero:
    hero = session.get(Hero, hero_id)
    if hero is None:
        raise HTTPException(status_code=404, detail="Hero not found")
    return hero


@app.post("/heroes", status_code=201)
def create_hero(hero: Hero, session: SessionDep) -> Hero:
    session.add(hero)
    session.commit()
    session.refresh(hero)
    return hero
"""


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


@dataclass
class Processes:
    """Every child started, each in its own process group (uvicorn and Celery fork children)."""

    running: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    logs: list[tuple[str, Path]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
        log_path = cwd / f"{name}.log"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running.append((name, proc))
        self.logs.append((name, log_path))
        return proc

    def stop(self, proc: subprocess.Popen, grace_s: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL it after `grace_s`."""
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.running = [entry for entry in self.running if entry[1] is not proc]

    def stop_all(self) -> None:
        for _name, proc in reversed(list(self.running)):
            self.stop(proc)

    def log_tails(self, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {name}.log\n{path.read_text(errors='replace')[-chars:]}"
            for name, path in self.logs
            if path.exists()
        )


def c64ft_env(workspace: Path, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")}
    return env | {"C64FT_WORKSPACE": str(workspace), "C64FT_BROKER_URL": redis_url}


def flush_redis(redis_url: str) -> None:
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()


def redis_answers(redis_url: str) -> bool:
    try:
        with redis.Redis.from_url(redis_url, socket_timeout=2) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def health(base: str) -> dict | None:
    try:
        response = httpx.get(f"{base}/health", timeout=5)
    except httpx.TransportError:
        return None
    return response.json() if response.status_code == 200 else None


def start_api(
    procs: Processes, workspace: Path, redis_url: str, workers: int
) -> tuple[str, subprocess.Popen]:
    """Start our API on a free port; (base URL, process) once /health answers 200."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *uvicorn_flags(workers),
    ]
    proc = procs.start("api", argv, workspace, c64ft_env(workspace, redis_url))
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: health(base), 60, "the c64ft API's /health to answer 200")
    return base, proc


def uvicorn_flags(workers: int) -> list[str]:
    """The same for both apps: W processes, no access log (neither writes a line a request)."""
    return ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]


def start_textbook(procs: Processes, folder: Path, workers: int) -> tuple[str, subprocess.Popen]:
    """Write the textbook app, start it like ours (`uvicorn_flags`); (base URL, process)."""
    (folder / "textbook_app.py").write_text(TEXTBOOK_APP)
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "textbook_app:app",
        "--app-dir",
        str(folder),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *uvicorn_flags(workers),
    ]
    env = os.environ | {"HEROES_DB": str(folder / "heroes.db")}
    proc = procs.start("textbook", argv, folder, env)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(f"{base}/heroes/1"), 60, "the textbook app to answer")
    return base, proc


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


# ---------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    rps: float
    latency_ms: dict[str, float]  # "50", "75", "90", "99" -> milliseconds
    errors: int  # non-2xx/3xx responses plus socket errors


UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
PERCENTILE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if rps is None:
        raise RuntimeError(f"could not parse wrk output:\n{output}")
    latency = {p: float(v) * UNIT_MS[u] for p, v, u in PERCENTILE.findall(output)}
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors:(.*)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in re.findall(r"\d+", sockets.group(1))) if sockets else 0
    return WrkResult(float(rps.group(1)), latency, errors)


def run_wrk(url: str, connections: int, duration_s: int, body: str | None, tmp: Path) -> WrkResult:
    """wrk -t2 -cN --latency against `url`; a POST with a JSON `body` if one is given."""
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{duration_s}s", "--timeout", "10s", "--latency"]
    if body is not None:
        script = tmp / "post.lua"
        script.write_text(
            f'wrk.method = "POST"\nwrk.body = {_lua_string(body)}\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        argv += ["-s", str(script)]
    done = subprocess.run(
        [*argv, url], capture_output=True, text=True, timeout=duration_s + 60, check=True
    )
    return parse_wrk(done.stdout)


def _lua_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# ---------------------------------------------------------------- phase 1: throughput


def check_status(response: httpx.Response, expected: int) -> httpx.Response:
    if response.status_code != expected:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}, not {expected}: {response.text[:300]}"
        )
    return response


def load_ours(args, procs: Processes, tmp: Path) -> tuple[dict[str, WrkResult], list[float]]:
    """Our API, no worker: one queued job read at 32 connections, submissions at 16, reads
    again under 10 event streams; then the stream's delay (ms) of events the bench writes."""
    workspace = tmp / "load"
    workspace.mkdir()
    flush_redis(args.redis_url)
    base, api = start_api(procs, workspace, args.redis_url, args.workers)
    try:
        headers = {"Content-Type": "application/json"}
        job = check_status(httpx.post(f"{base}/jobs", content=JOB_BODY, headers=headers), 201)
        job_id = job.json()["id"]
        job_url = f"{base}/jobs/{job_id}"
        check_status(httpx.get(job_url), 200)
        print(f"  c64ft ({args.workers} workers): GET /jobs/{{id}} ...", flush=True)
        get = run_wrk(job_url, 32, args.duration, None, tmp)
        print("  c64ft: POST /jobs ...", flush=True)
        post = run_wrk(f"{base}/jobs", 16, args.duration, JOB_BODY, tmp)
        stream_url = f"{job_url}/events/stream"
        readers = [StreamReader(stream_url) for _ in range(STREAM_CLIENTS)]
        print(f"  c64ft: GET /jobs/{{id}} while {STREAM_CLIENTS} clients stream ...", flush=True)
        streamed = run_wrk(job_url, 32, args.duration, None, tmp)
        print(f"  c64ft: stream delay of {args.stream_events} events ...", flush=True)
        delays = stream_delays(workspace, args.redis_url, job_id, stream_url, args.stream_events)
        if not all(reader.alive() for reader in readers):
            raise RuntimeError("an event stream of the load ended early")
    finally:
        procs.stop(api)  # which also ends the streams
        flush_redis(args.redis_url)  # the POST load left thousands of messages
    return {"get": get, "post": post, "streamed": streamed}, delays


class StreamReader:
    """A client of an event stream in a thread of its own, noting when each event arrives (by
    its message) until the API goes away; it has connected when the constructor returns."""

    def __init__(self, url: str) -> None:
        self.arrived: dict[str, float] = {}
        self.connected, self.ended = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self.thread.start()
        if not self.connected.wait(30):
            raise TimeoutError(f"{url} did not answer a stream within 30 s")

    def _read(self, url: str) -> None:
        try:
            with httpx.Client(timeout=60) as http, connect_sse(http, "GET", url) as source:
                check_status(source.response, 200)
                self.connected.set()
                for event in source.iter_sse():
                    if event.event == "job_event":
                        self.arrived[event.json()["message"]] = time.perf_counter()
        except httpx.HTTPError:
            pass  # the API stopped: the end of the bench's streams
        finally:
            self.ended.set()

    def alive(self) -> bool:
        return not self.ended.is_set()


def stream_delays(
    workspace: Path, redis_url: str, job_id: str, stream_url: str, count: int
) -> list[float]:
    """Write `count` events to the job's database from this process, 20-80 ms apart (so each
    lands at a random point of the stream's poll interval), and time each from just before the
    write until a stream client receives it; milliseconds."""
    os.environ.update(c64ft_env(workspace, redis_url))
    from core.config import get_settings  # here: only this phase needs the project's own code
    from core.jobs.journal import add_event

    get_settings.cache_clear()
    reader, written = StreamReader(stream_url), {}
    for n in range(count):
        message = f"bench {n}"
        written[message] = time.perf_counter()
        add_event(job_id, message, stage="bench")
        time.sleep(random.uniform(0.02, 0.08))
    wait_until(lambda: written.keys() <= reader.arrived.keys(), 30, "every event to arrive")
    return [(reader.arrived[message] - sent) * 1e3 for message, sent in written.items()]


def load_textbook(args, procs: Processes, tmp: Path) -> dict[str, WrkResult]:
    folder = tmp / "textbook"
    folder.mkdir()
    base, app = start_textbook(procs, folder, args.workers)
    try:
        check_status(
            httpx.post(
                f"{base}/heroes", content=HERO_BODY, headers={"Content-Type": "application/json"}
            ),
            201,
        )
        print(f"  textbook ({args.workers} workers): GET /heroes/{{id}} ...", flush=True)
        get = run_wrk(f"{base}/heroes/1", 32, args.duration, None, tmp)
        print("  textbook: POST /heroes ...", flush=True)
        post = run_wrk(f"{base}/heroes", 16, args.duration, HERO_BODY, tmp)
    finally:
        procs.stop(app)
    return {"get": get, "post": post}


# ---------------------------------------------------------------- phase 2: POST -> running


@dataclass
class Latencies:
    client_ms: list[float] = field(default_factory=list)  # POST sent -> first non-queued poll
    server_ms: list[float] = field(default_factory=list)  # started_at - created_at


def submit_and_time(http: httpx.Client, job_timeout: float) -> tuple[float, float, dict]:
    """One job: (POST -> first non-queued poll ms, started_at - created_at ms, final job)."""
    t0 = time.perf_counter()
    job_id = check_status(http.post("/jobs", content=JOB_BODY), 201).json()["id"]
    deadline = time.monotonic() + job_timeout
    while (job := http.get(f"/jobs/{job_id}").json())["status"] == "queued":
        if time.monotonic() > deadline:
            raise TimeoutError(f"{job_id} still queued after {job_timeout:.0f}s")
        time.sleep(POLL_S)
    client_ms = (time.perf_counter() - t0) * 1e3
    while job["status"] not in TERMINAL:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{job_id} not finished after {job_timeout:.0f}s")
        time.sleep(0.05)
        job = http.get(f"/jobs/{job_id}").json()
    if job["status"] != "succeeded":
        raise RuntimeError(f"{job_id} ended {job['status']}: {job['error']}")
    started = datetime.fromisoformat(job["started_at"])
    created = datetime.fromisoformat(job["created_at"])
    return client_ms, (started - created).total_seconds() * 1e3, job


def wait_pool_replaced(job: dict, timeout: float = 15.0) -> None:
    """Wait until the pool process that ran `job` is reaped (one job per pool process).

    Celery replaces it when it notices the exit, at once or, sometimes, only on its 5 s
    maintenance timer (celery/celery#9588); until then a new job waits in the worker.
    """
    pid = re.search(r"pid (\d+)$", job["worker"] or "")
    if pid is not None:
        proc = Path(f"/proc/{pid.group(1)}")
        wait_until(lambda: not proc.exists(), timeout, f"pool process {pid.group(1)} to exit", 0.01)


def start_worker(procs: Processes, workspace: Path, redis_url: str, base: str) -> None:
    argv = [sys.executable, "-m", "c64ft", "worker", "--queues", "gpu,cpu"]
    procs.start("worker", argv, workspace, c64ft_env(workspace, redis_url))
    wait_until(lambda: (health(base) or {}).get("workers", 0) >= 1, 90, "the worker to register")


def queue_latency(args, procs: Processes, tmp: Path, deadline: float) -> Latencies:
    """Fresh workspace, Redis db, API and one worker; jobs submitted one at a time."""
    workspace = tmp / "latency"
    workspace.mkdir()
    flush_redis(args.redis_url)
    base, _api = start_api(procs, workspace, args.redis_url, args.workers)
    start_worker(procs, workspace, args.redis_url, base)
    result = Latencies()
    headers = {"Content-Type": "application/json"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        for i in range(args.warmup + args.jobs):
            if time.monotonic() > deadline:
                print(f"  time budget spent: {len(result.client_ms)} of {args.jobs} jobs timed")
                break
            client_ms, server_ms, job = submit_and_time(http, args.job_timeout)
            if i >= args.warmup:
                result.client_ms.append(client_ms)
                result.server_ms.append(server_ms)
            if not args.back_to_back:
                wait_pool_replaced(job)
                time.sleep(args.settle)
    if not result.client_ms:
        raise RuntimeError("no job was timed within --budget")
    return result


# ---------------------------------------------------------------- report


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def load_rows(ours: dict[str, WrkResult], book: dict[str, WrkResult], workers: int) -> list[str]:
    lines = [f"{'load':<24}{'app':<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"]
    for key, label in (
        ("get", "status reads GET"),
        ("post", "submissions POST"),
        ("streamed", f"GET, {STREAM_CLIENTS} streams open"),
    ):
        rows = [(f"c64ft ({workers}w)", ours[key])]
        rows += [(f"textbook ({workers}w)", book[key])] if key in book else []
        for app, res in rows:
            lines.append(
                f"{label:<24}{app:<20}{res.rps:>9.0f}{res.latency_ms['50']:>9.2f}"
                f"{res.latency_ms['99']:>9.2f}{res.errors:>8}"
            )
        textbook = book.get(key, book["get"])
        lines.append(f"{'':<24}{'ratio c64ft/textbook':<20}{ours[key].rps / textbook.rps:>8.2f}x")
    return lines


def delay_rows(delays: list[float]) -> list[str]:
    title = f"event write -> stream client (n={len(delays)}, {STREAM_CLIENTS} more streams open)"
    return [
        f"{title:<60}{'median ms':>11}{'p95 ms':>9}",
        f"{'':<60}{statistics.median(delays):>11.1f}{percentile(delays, 95):>9.1f}",
    ]


def latency_rows(lat: Latencies, mode: str) -> list[str]:
    title = f"POST -> running, {mode} (n={len(lat.client_ms)})"
    lines = [f"{title:<44}{'median ms':>11}{'p90 ms':>9}"]
    for label, values in (
        ("client: POST sent -> first non-queued poll", lat.client_ms),
        ("server: started_at - created_at", lat.server_ms),
    ):
        lines.append(f"{label:<44}{statistics.median(values):>11.1f}{percentile(values, 90):>9.1f}")
    return lines


def target_rows(
    ours: dict[str, WrkResult], book: dict[str, WrkResult], lat: Latencies, delays: list[float]
) -> list[str]:
    og, bg, op, bp, sg = ours["get"], book["get"], ours["post"], book["post"], ours["streamed"]
    median = statistics.median(lat.client_ms)
    targets = [
        (
            og.rps >= 1.5 * bg.rps and not og.errors,
            f"status reads: req/s >= 1.5x textbook ({og.rps / bg.rps:.2f}x)",
        ),
        (
            sg.rps >= 1.5 * bg.rps and not sg.errors,
            f"status reads, {STREAM_CLIENTS} streams open: req/s >= 1.5x textbook "
            f"({sg.rps / bg.rps:.2f}x)",
        ),
        (
            og.latency_ms["99"] <= bg.latency_ms["50"],
            f"status reads: p99 <= textbook p50 ({og.latency_ms['99']:.2f} vs "
            f"{bg.latency_ms['50']:.2f} ms)",
        ),
        (
            op.rps >= bp.rps and op.latency_ms["99"] < 100 and not op.errors,
            f"submissions: req/s >= textbook ({op.rps:.0f} vs {bp.rps:.0f}) and "
            f"p99 < 100 ms ({op.latency_ms['99']:.2f} ms)",
        ),
        (median < 250, f"POST -> running: median < 250 ms ({median:.1f} ms)"),
        (
            statistics.median(delays) < 250,
            f"stream delay: median < 250 ms ({statistics.median(delays):.1f} ms)",
        ),
    ]
    lines = [f"[{'PASS' if ok else 'MISS'}] {text}" for ok, text in targets]
    if og.errors or op.errors:
        lines.append("(a load with errors, non-2xx or socket, counts as MISS)")
    return lines


def print_report(args, ours, book, lat: Latencies, delays: list[float]) -> None:
    rule = "-" * 79
    print(
        f"\n{rule}\nc64ft API benchmark: wrk -t2, {args.duration}s per load, "
        f"{os.cpu_count()} CPUs; both apps: uvicorn --workers {args.workers}, no access log\n{rule}"
    )
    print("\n".join(load_rows(ours, book, args.workers)))
    print(rule)
    print("\n".join(delay_rows(delays)))
    print(rule)
    mode = "back-to-back" if args.back_to_back else "worker idle"
    print("\n".join(latency_rows(lat, mode)))
    print(rule)
    print("\n".join(target_rows(ours, book, lat, delays)))


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of each app")
    parser.add_argument(
        "--stream-events", type=int, default=200, help="events timed from write to stream client"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk load")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/14",
        help="Redis db used as broker; it is FLUSHed",
    )
    parser.add_argument("--jobs", type=int, default=20, help="jobs timed POST -> running")
    parser.add_argument("--warmup", type=int, default=1, help="untimed jobs run first")
    parser.add_argument(
        "--settle",
        type=float,
        default=0.2,
        help="seconds to wait after a job's pool process is replaced",
    )
    parser.add_argument(
        "--back-to-back",
        action="store_true",
        help="submit as soon as the previous job succeeded (the worker may still be busy)",
    )
    parser.add_argument("--job-timeout", type=float, default=60, help="seconds per timed job")
    parser.add_argument(
        "--budget", type=float, default=270, help="seconds after which no further job is submitted"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found: install it with `apt-get install -y wrk`", file=sys.stderr)
        return 2
    if not redis_answers(args.redis_url):
        print(f"no Redis answers at {args.redis_url} (--redis-url)", file=sys.stderr)
        return 2
    deadline = time.monotonic() + args.budget
    tmp = Path(tempfile.mkdtemp(prefix="c64ft-bench-"))
    procs = Processes()
    try:
        print("phase 1: throughput (wrk)", flush=True)
        ours, delays = load_ours(args, procs, tmp)
        book = load_textbook(args, procs, tmp)
        print("phase 2: POST -> running over Redis", flush=True)
        lat = queue_latency(args, procs, tmp, deadline)
    except Exception:
        print(procs.log_tails(), file=sys.stderr)
        raise
    finally:
        procs.stop_all()
        flush_redis(args.redis_url)
        shutil.rmtree(tmp, ignore_errors=True)
    print_report(args, ours, book, lat, delays)
    return 0


if __name__ == "__main__":
    sys.exit(main())
