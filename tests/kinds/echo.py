"""A job kind of a test's own, in one module, registered by `C64FT_EXTRA_KINDS`: what a new
kind costs (a package under core/kinds/ and one registry line, for the project's own)."""

import time
from typing import Any, Literal

from pydantic import Field

from core.context import RunContext
from core.kinds.base import Kind
from core.specs.base import SpecBase


class EchoSpec(SpecBase):
    kind: Literal["echo"] = Field(description="Say a word back (a test's own kind).")
    word: str = Field("hello", min_length=1, max_length=64, description="The word said back.")
    times: int = Field(1, ge=1, le=1000, description="Say it this often: an event and a point.")
    pause_s: float = Field(0.0, ge=0, le=1, description="Seconds between two sayings.")


def run(spec: EchoSpec, ctx: RunContext) -> dict[str, Any]:
    for n in range(1, spec.times + 1):
        ctx.event(f"echo: {spec.word}", data={"n": n})
        ctx.metrics([{"phase": "sft", "step": n, "loss": 1 / n}])
        ctx.progress(n / spec.times, step=n, total=spec.times)
        time.sleep(spec.pause_s)
    return {"echo": spec.word}


EXAMPLES = {"echo": {"summary": "echo: a word said back", "value": {"kind": "echo", "word": "hi"}}}
KIND = Kind(EchoSpec, "cpu", "tests.kinds.echo:run", EXAMPLES)
