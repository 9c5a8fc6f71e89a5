"""A job kind of a test's own, in one module, registered by `C64FT_EXTRA_KINDS`: what a new
kind costs (a package under core/kinds/ and one registry line, for the project's own)."""

from typing import Any, Literal

from pydantic import Field

from core.context import RunContext
from core.kinds.base import Kind
from core.specs.base import SpecBase


class EchoSpec(SpecBase):
    kind: Literal["echo"] = Field(description="Say a word back (a test's own kind).")
    word: str = Field("hello", min_length=1, max_length=64, description="The word said back.")


def run(spec: EchoSpec, ctx: RunContext) -> dict[str, Any]:
    ctx.event(f"echo: {spec.word}")
    return {"echo": spec.word}


EXAMPLES = {"echo": {"summary": "echo: a word said back", "value": {"kind": "echo", "word": "hi"}}}
KIND = Kind(EchoSpec, "cpu", "tests.kinds.echo:run", EXAMPLES)
