"""Pre-flight checks of a spec (`POST /jobs?dry_run=true`): fail in seconds, not after hours."""

from typing import Literal

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from core.specs import KINDS, SpecBase
from core.workers import live_workers


class Check(TypedDict):
    name: str
    status: Literal["pass", "warn", "fail"]
    message: str


def preflight(spec: SpecBase) -> list[Check]:
    """Every check that can be made without queueing: the spec itself, then who would run it."""
    queue = KINDS[spec.kind].queue
    workers = live_workers(queue)
    return [
        Check(name="spec", status="pass", message="the spec is valid; defaults are filled in"),
        Check(
            name="workers",
            status="pass" if workers else "warn",
            message=f"{workers} live worker(s) consume queue {queue!r}"
            if workers
            else f"no live worker consumes queue {queue!r}: the job would wait until one starts "
            f"(`c64ft worker --queues {queue}` or `c64ft up`)",
        ),
    ]
