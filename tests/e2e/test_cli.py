"""The `c64ft` command line: run (no service), submit --wait and status, and up with Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.service import FAST_CLOCKS, free_port, wait_until

C64FT = [sys.executable, "-m", "c64ft"]


def cli(*args, env=None, cwd=None, timeout=120):
    return subprocess.run(
        [*C64FT, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


def test_run_executes_the_runner_in_process(tmp_path):
    done = cli("run", "gpu_smoke", "--allow-cpu", "--matrix-size", "64", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["device"] == "cpu"
    assert "matmul_check" in done.stderr  # stage events go to the terminal


def test_run_without_a_gpu_fails_with_the_hint(tmp_path):
    done = cli("run", "gpu_smoke", cwd=tmp_path)
    assert done.returncode == 1
    assert "no_gpu" in done.stderr and "/dev/kfd" in done.stderr


def test_run_refuses_a_bad_field(tmp_path):
    done = cli("run", "gpu_smoke", "--matrix-size", "-3", cwd=tmp_path)
    assert done.returncode == 2 and "matrix_size" in done.stderr


def test_submit_wait_and_status_against_the_service(redis_service):
    redis_service.start_worker()
    api = ["--api", redis_service.url]
    done = cli("submit", "gpu_smoke", "--allow-cpu", "--matrix-size", "64", "--wait", *api)
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["status"] == "succeeded" and "claimed by" in done.stderr
    shown = json.loads(cli("status", job["id"], *api).stdout)
    assert shown["id"] == job["id"] and shown["status"] == "succeeded"
    refused = cli("submit", "gpu_smoke", "--matrix-size", "-3", *api)  # the API's 422
    assert refused.returncode == 2 and "matrix_size" in refused.stderr
    mistyped = cli("submit", "gpu_smoke", "--matrix-size", "huge", *api)  # refused here
    assert mistyped.returncode == 2 and "--matrix-size expects integer" in mistyped.stderr
    failed = cli("submit", "gpu_smoke", "--matrix-size", "64", "--wait", *api)
    assert failed.returncode == 1 and json.loads(failed.stdout)["error"]["type"] == "no_gpu"


def test_up_serves_runs_jobs_and_stops_cleanly_on_ctrl_c(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")} | FAST_CLOCKS
    port = free_port()
    up = subprocess.Popen(
        [*C64FT, "up", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    api = ["--api", f"http://127.0.0.1:{port}"]
    try:
        wait_until(lambda: _workers(port) == 2, 90, "c64ft up to serve with two workers")
        done = cli(
            "submit",
            "gpu_smoke",
            "--allow-cpu",
            "--matrix-size",
            "64",
            "--wait",
            *api,
            cwd=tmp_path,
            env=env,
        )
        assert done.returncode == 0, done.stderr
    finally:
        up.send_signal(signal.SIGINT)
        started = time.monotonic()
        output, _ = up.communicate(timeout=60)
    assert up.returncode == 0, output
    assert time.monotonic() - started < 30
    assert "C64FT_DATABASE_URL=sqlite:///" in output and "embedded" in output
    assert (tmp_path / "data" / "c64ft.db").exists()
    assert _processes_in(tmp_path) == []
    logs = tmp_path / "data/logs/up"
    assert f"logs: {logs / 'api.log'}" in output
    assert {p.name for p in logs.iterdir()} == {"api.log", "worker-gpu.log", "worker-cpu.log"}
    api_log = (logs / "api.log").read_text()
    assert "POST /jobs" in api_log  # writes are logged; polling reads are not
    assert "GET /health" not in api_log and "GET /health" not in output
    assert (logs / "worker-gpu.log").stat().st_size > 0


def _processes_in(folder):
    """Processes whose working directory is `folder` (what `up` started there)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "cwd")) == folder:
                found.append((proc / "cmdline").read_text().replace("\0", " "))
        except OSError:
            continue
    return found


def _workers(port):
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health").json()["workers"]
    except (httpx.TransportError, ValueError):
        return -1
