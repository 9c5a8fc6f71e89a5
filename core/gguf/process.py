"""Run one export step (`python -m core.gguf.tool ...`) as a child process, watching the job."""

import signal
import subprocess
import sys
import time
from pathlib import Path

from billiard.util import set_pdeathsig

from core.context import RunContext
from core.errors import JobFailure

POLL_S = 0.5


def run_tool(args: list[str], *, log: Path, ctx: RunContext, what: str) -> None:
    """Run `python -m core.gguf.tool ARGS`, its output appended to `log`.

    A cancel kills it and raises JobCancelled; it dies with the worker (SIGKILL included), so
    no converter outlives the job it served.

    Raises:
        ToolFailed: it exited non-zero; carries the tail of its output.
    """
    command = [sys.executable, "-m", "core.gguf.tool", *args]
    with log.open("ab") as output:
        child = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: set_pdeathsig(signal.SIGKILL),
        )
        try:
            while child.poll() is None:
                if ctx.cancel_requested.is_set():
                    child.kill()
                time.sleep(POLL_S)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
    ctx.check_cancelled()
    if child.returncode != 0:
        raise ToolFailed(what, child.returncode, _tail(log))


class ToolFailed(JobFailure):
    def __init__(self, what: str, code: int, tail: str) -> None:
        super().__init__(
            "export_failed",
            f"{what} failed (exit code {code}): {tail}",
            hint="The message ends with the step's last lines of output: fix what they name "
            "(disk space, memory, an unsupported model) and submit again.",
        )
        self.tail = tail


def _tail(log: Path, lines: int = 8) -> str:
    text = log.read_text(errors="replace").strip().splitlines()
    return "\n".join(text[-lines:])
