"""Run the service's processes side by side (`c64ft up`) and stop them all cleanly.

The children die with their parent: a hang-up (terminal closed) stops them like Ctrl-C, and
each child asks Linux for a SIGTERM when its parent dies, so even a SIGKILLed `c64ft up`
leaves no API holding the port. Celery's pool processes already get SIGKILL when their
worker dies (celery.concurrency.prefork sets the same death signal).
"""

import copy
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from billiard.util import set_pdeathsig

STOP_GRACE_S = 15.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def log_dir(workspace: Path, name: str) -> Path:
    """`<workspace>/data/logs/<name>/`, where `up` and the demo keep one log file per process."""
    folder = workspace / "data" / "logs" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class DropReads(logging.Filter):
    """Keeps uvicorn's access lines of writes and errors; drops answered reads (GET, HEAD),
    which a dashboard polling every second turns into thousands of lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) >= 5:  # (client, method, path, http version, status code)
            method, code = args[1], args[4]
            return not (method in ("GET", "HEAD") and isinstance(code, int) and code < 400)
        return True


def uvicorn_log_config(access_log: bool) -> dict[str, Any]:
    """uvicorn's logging, with answered reads left out of the access log unless `access_log`."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    if not access_log:
        config.setdefault("filters", {})["drop_reads"] = {"()": DropReads}
        config["handlers"]["access"]["filters"] = ["drop_reads"]
    return config


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_in_use(host: str, port: int) -> str | None:
    """None when `host:port` can be listened on; else what holds it and what to do."""
    with socket.socket() as probe:
        # as uvicorn does: a port whose last connections linger in TIME_WAIT is free to use
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return None
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return None  # not ours to judge (an unknown host): uvicorn will say
    return (
        f"port {port} on {host} is already in use by {_listener(port)}.\n"
        f"Stop that process, or start on another port: c64ft up --port {free_port()}"
    )


def _listener(port: int) -> str:
    """`pid N (command line)` of the process listening on `port`, as far as we may see it."""
    import psutil

    try:
        pids = {
            c.pid
            for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
        }
    except psutil.AccessDenied:
        pids = set()
    for pid in sorted(p for p in pids if p):
        try:
            return f"pid {pid} ({' '.join(psutil.Process(pid).cmdline())})"
        except psutil.Error:
            return f"pid {pid}"
    return "a process this user cannot see (another user's, or another container's)"


def _die_with_parent(parent: int) -> None:
    """In the child, before exec: SIGTERM when the parent dies (it survives exec)."""
    set_pdeathsig(signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before we asked
        os.kill(os.getpid(), signal.SIGTERM)


def start_all(
    commands: dict[str, list[str]],
    *,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    echo: bool = False,
) -> dict[str, subprocess.Popen]:
    """Start every command, each in its own session (Ctrl-C reaches us only: we stop them in
    order) and ending with this process; with `log_dir`, each writes to `<log_dir>/<name>.log`
    instead of this terminal, and with `echo` we also copy those lines here, prefixed by the
    process's name. The children write to the file itself, never to a pipe of ours, so that one
    finishing its job after we are gone still has somewhere to log."""
    children = {}
    parent = os.getpid()
    for name, argv in commands.items():
        path = log_dir / f"{name}.log" if log_dir else None
        log = path.open("ab") if path else None
        if path and log and echo:
            start = log.tell()
            threading.Thread(target=_echo, args=(path, start, name), daemon=True).start()
        children[name] = subprocess.Popen(
            argv,
            start_new_session=True,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT if log else None,
            preexec_fn=lambda: _die_with_parent(parent),
        )
    return children


def _echo(path: Path, start: int, name: str) -> None:
    """Print what is appended to `path` from `start` on, each line prefixed with `name`."""
    with path.open("rb") as log:
        log.seek(start)
        while True:
            line = log.readline()
            if not line.endswith(b"\n"):  # nothing new yet, or half a line: wait for the rest
                log.seek(-len(line), os.SEEK_CUR)
                time.sleep(0.2)
                continue
            sys.stdout.write(f"{name:<10} | {line.decode(errors='replace')}")
            sys.stdout.flush()


def run_together(commands: dict[str, list[str]], log_dir: Path | None = None) -> int:
    """Start every command (with `log_dir`, each logging to its file there and to this
    terminal); when one exits or on Ctrl-C, SIGTERM or a hang-up (the terminal closed), stop
    the rest. Exit code."""
    children = start_all(commands, log_dir=log_dir, echo=True)
    stopping = False

    def request_stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, request_stop) for sig in STOP_SIGNALS}
    try:
        while not stopping and all(child.poll() is None for child in children.values()):
            time.sleep(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop_all(children)
    failed = [name for name, child in children.items() if child.returncode not in (0, -15)]
    return 0 if stopping or not failed else 1


def stop_all(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM (warm shutdown), then SIGKILL whatever is left after the grace period.

    A job killed this way stays `running` in the database; at the next start the reaper
    queues it again, so nothing is lost.
    """
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for child in children.values():
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
