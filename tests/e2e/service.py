"""A real c64ft service for end-to-end tests: uvicorn and Celery worker subprocesses."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from c64ft.processes import free_port

TERMINAL = {"succeeded", "failed", "cancelled"}
# Fast clocks so that loss and recovery happen within seconds.
FAST_CLOCKS = {
    "C64FT_HEARTBEAT_INTERVAL_S": "0.5",
    "C64FT_HEARTBEAT_TIMEOUT_S": "3",
    "C64FT_REAPER_INTERVAL_S": "1",
    "C64FT_REQUEUE_AFTER_S": "2",
    "C64FT_CANCEL_GRACE_S": "5",
    # the tiny model stands in for the 8B one in every end-to-end train test
    "C64FT_ALLOWED_BASE_MODELS": '["models/Ministral-3-8B-Thinking", "models/tiny-ministral3"]',
}


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Service:
    def __init__(self, workspace: Path, broker_url: str = "", python: str = sys.executable) -> None:
        self.workspace, self.python = workspace, python
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")}
        self.env |= FAST_CLOCKS | {"C64FT_WORKSPACE": str(workspace)}
        if broker_url:
            self.env["C64FT_BROKER_URL"] = broker_url
        self.api: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    @property
    def url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.workspace / f"{name}.log", "ab")  # noqa: SIM115 (kept for the child)
        return subprocess.Popen(
            argv,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.workspace,
        )

    def start_api(self, workers: int | None = None) -> None:
        """uvicorn on the service's port; `workers`: that many processes share it (unset:
        uvicorn's own default, which reads WEB_CONCURRENCY as the API image sets it)."""
        argv = [self.python, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1"]
        argv += ["--port", str(self.port)]
        if workers is not None:
            argv += ["--workers", str(workers)]
        self.api = self._spawn("api", argv)
        wait_until(self._answers, 30, "the API to answer /health")

    def _answers(self) -> bool:
        try:
            return self.http.get("/health").status_code in (200, 503)
        except httpx.TransportError:
            return False

    def start_worker(self, queues: str = "gpu,cpu") -> subprocess.Popen:
        worker = self._spawn("worker", [self.python, "-m", "c64ft", "worker", "--queues", queues])
        self.workers.append(worker)
        expected = sum(w.poll() is None for w in self.workers)
        wait_until(lambda: self.health()["workers"] >= expected, 60, "the worker to register")
        return worker

    def kill_worker(self, worker: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool process, as an OOM killer or a power cut would."""
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    def health(self) -> dict:
        return self.http.get("/health").json()

    def submit(self, body: dict) -> dict:
        response = self.http.post("/jobs", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def job(self, job_id: str) -> dict:
        return self.http.get(f"/jobs/{job_id}").json()

    def events(self, job_id: str) -> list[dict]:
        return self.http.get(f"/jobs/{job_id}/events", params={"limit": 1000}).json()["data"]

    def wait(self, job_id: str, statuses=TERMINAL, timeout: float = 90) -> dict:
        return wait_until(
            lambda: (j := self.job(job_id))["status"] in statuses and j,
            timeout,
            f"{job_id} to become one of {sorted(statuses)}",
        )

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-4000:] for p in sorted(self.workspace.glob("*.log"))
        )

    def stop(self) -> None:
        for proc in [*self.workers, self.api]:
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers, self.api]:
            if proc is None:
                continue
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.http.close()


class RedisServer:
    """A real redis-server of the tests' own, on a free port, keeping nothing on disk."""

    def __init__(self, folder: Path) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed: apt-get install -y redis-server")
        self.port, self.folder = free_port(), folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        argv = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
        ]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        wait_until(self._answers, 10, "redis-server to accept connections")

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
