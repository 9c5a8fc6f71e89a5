"""Runners: one per job kind, `run(spec, ctx) -> result dict`, looked up by `run_spec`."""

import importlib
from typing import Any

from core.config import get_settings
from core.context import RunContext
from core.fence import check_outputs
from core.kinds import KINDS
from core.specs.base import SpecBase
from core.specs.paths import resolve_field


def run_spec(spec: SpecBase, ctx: RunContext) -> dict[str, Any]:
    """Run the runner of `spec.kind` (imported here, on first use: runners pull in torch).

    Raises:
        ValueError: the kind has no runner (a workflow runs as child jobs of the service).
        JobFailure: a path the spec reads or writes leads out of the workspace now
            (`path_outside_workspace`, the field named).
        OutputRefused: an output would write where it must not (`core.fence`).
    """
    target = KINDS[spec.kind].runner
    if target is None:
        raise ValueError(f"{spec.kind} has no runner of its own: the service runs its steps")
    for field, value in spec.inputs():  # the disk may have changed since submission
        resolve_field(ctx.workspace, field, value, read_only=True)
    for field, value in spec.outputs():
        resolve_field(ctx.workspace, field, value)
    check_outputs(spec, ctx.workspace, get_settings())
    module_name, function_name = target.split(":")
    runner = getattr(importlib.import_module(module_name), function_name)
    return runner(spec, ctx)
