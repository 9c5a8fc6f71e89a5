"""Run the service's processes side by side (`c64ft up`) and stop them all cleanly."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

STOP_GRACE_S = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_all(
    commands: dict[str, list[str]],
    *,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
) -> dict[str, subprocess.Popen]:
    """Start every command, each in its own session (Ctrl-C reaches us only: we stop them in
    order); with `log_dir`, each writes to `<log_dir>/<name>.log` instead of this terminal."""
    children = {}
    for name, argv in commands.items():
        log = (log_dir / f"{name}.log").open("ab") if log_dir else None
        children[name] = subprocess.Popen(argv, start_new_session=True, env=env, stdout=log,
                                          stderr=subprocess.STDOUT if log else None)  # fmt: skip
    return children


def run_together(commands: dict[str, list[str]]) -> int:
    """Start every command; when one exits or on Ctrl-C/SIGTERM, stop the rest. Exit code."""
    children = start_all(commands)
    stopping = False

    def request_stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
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
