"""`c64ft up` takes its API and workers with it however it ends (terminal closed, SIGKILL), and
a second `c64ft up` on a busy port names what holds it."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from tests.e2e.service import FAST_CLOCKS, free_port, wait_until

REPO = Path(__file__).resolve().parents[2]


def _env(workspace: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")} | FAST_CLOCKS
    # this checkout's code, whatever an editable install points at
    return env | {"C64FT_WORKSPACE": str(workspace), "PYTHONPATH": str(REPO)}


def _up(workspace: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "c64ft", "up", "--port", str(port)],
        cwd=workspace,
        env=_env(workspace),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _workers(port: int) -> int:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health").json()["workers"]
    except (httpx.TransportError, ValueError):
        return -1


def _alive(procs: list[psutil.Process]) -> list[str]:
    """Those still running (a zombie waiting for a reaper has stopped running)."""
    alive = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(" ".join(proc.cmdline()))
        except psutil.NoSuchProcess:
            continue
    return alive


@pytest.fixture
def running_up(tmp_path):
    """A `c64ft up` serving with its two workers; its descendants (API, workers, pool)."""
    port = free_port()
    up = _up(tmp_path, port)
    descendants: list[psutil.Process] = []
    try:
        wait_until(lambda: _workers(port) == 2, 120, "c64ft up to serve with two workers")
        descendants = psutil.Process(up.pid).children(recursive=True)
        assert len(descendants) >= 5  # api, 2 workers, each worker's pool process
        yield up, port, descendants
    finally:
        up.kill()
        up.wait()
        for proc in descendants:  # whatever a failure left running
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()


@pytest.mark.timeout(240)
def test_closing_the_terminal_stops_everything(running_up):
    up, port, descendants = running_up
    up.send_signal(signal.SIGHUP)
    assert up.wait(timeout=30) == 0
    wait_until(lambda: not _alive(descendants), 20, "every child of c64ft up to exit")


@pytest.mark.timeout(240)
def test_a_killed_up_takes_its_children_with_it(running_up):
    up, port, descendants = running_up
    up.kill()
    up.wait()
    wait_until(lambda: not _alive(descendants), 30, "every child of a killed c64ft up to exit")


@pytest.mark.timeout(240)
def test_a_second_up_on_a_busy_port_names_the_holder(running_up, tmp_path):
    up, port, descendants = running_up
    api = next(p for p in descendants if "serve" in p.cmdline())
    second = subprocess.run(
        [sys.executable, "-m", "c64ft", "up", "--port", str(port)],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use by pid {api.pid} (" in second.stderr
    assert "c64ft serve" in second.stderr and "c64ft up --port " in second.stderr
    assert _workers(port) == 2  # the first one still serves
