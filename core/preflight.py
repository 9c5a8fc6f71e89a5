"""Pre-flight checks of a spec (`POST /jobs?dry_run=true`): fail in seconds, not after hours.

`input_problems` are the checks a submission must pass (the API answers 422 naming the field):
the kind's own (`Kind.problems`) and the output fence (`core.fence`). `preflight` runs them and
adds what is worth knowing but not blocking: the kind's notes, and who would run the job; for
a kind with a `fit` hook (train) also whether it fits in the memory of the GPUs the live
workers reported, and how long it would take, which fails a spec predicted not to fit.
"""

from core.config import get_settings
from core.fence import InputProblem, output_problems
from core.jobs.workers import live_gpus, live_workers
from core.kinds import KINDS
from core.kinds.base import Check
from core.kinds.workflow.spec import WorkflowBase
from core.specs.base import SpecBase
from core.webhooks.policy import webhook_problems


def input_problems(spec: SpecBase) -> list[InputProblem]:
    """What is wrong with the spec's paths in this workspace (inputs, outputs, policy) and with
    its webhooks (a workflow's steps' too)."""
    settings = get_settings()
    kind = KINDS[spec.kind]
    problems = kind.problems(spec, settings.workspace, set()) if kind.problems else []
    problems += webhook_problems(spec, settings)
    if isinstance(spec, WorkflowBase):  # its steps' outputs are fenced step by step
        for step in spec.step_specs():
            problems += webhook_problems(step, settings, prefix=f"{step.kind}.")
        return problems
    return problems + output_problems(spec, settings.workspace, settings)


def preflight(spec: SpecBase) -> list[Check]:
    """Every check that can be made without queueing: the spec, its inputs, who would run it."""
    checks = [Check(name="spec", status="pass", message="the spec is valid; defaults filled in")]
    checks += [Check(name=p.param, status="fail", message=p.message) for p in input_problems(spec)]
    failed = any(c["status"] == "fail" for c in checks)
    steps = spec.step_specs() if isinstance(spec, WorkflowBase) else [spec]
    produced: set[str] = set()  # what the earlier steps of a workflow write
    for step in steps:
        prefix = f"{step.kind}." if step is not spec else ""
        for check in _step_checks(step, failed, produced):
            checks.append(check | {"name": prefix + check["name"]})  # type: ignore[typeddict-item]
        produced |= {value for _param, value in step.outputs()}
    return checks


def _start_hint(queue: str) -> str:
    """How to start a worker for `queue`: one owning enough GPUs for a gpu.N queue."""
    if queue.startswith("gpu."):
        ids = ",".join(str(n) for n in range(int(queue.removeprefix("gpu."))))
        return f"`c64ft worker --gpus {ids}`, a worker owning that many GPUs"
    return f"`c64ft worker --queues {queue}` or `c64ft up`"


def _step_checks(spec: SpecBase, failed: bool, produced: set[str]) -> list[Check]:
    """What is worth knowing about one job: its kind's notes and who would run it."""
    kind = KINDS[spec.kind]
    checks = kind.notes(spec, get_settings().workspace, failed, produced) if kind.notes else []
    queue = kind.queue_for(spec)
    workers = live_workers(queue)
    if workers:
        message = f"{workers} live worker(s) consume queue {queue!r}"
    else:
        message = (
            f"no live worker consumes queue {queue!r}: the job would wait until one starts "
            f"({_start_hint(queue)})"
        )
    checks.append(Check(name="workers", status="pass" if workers else "warn", message=message))
    if kind.fit and not failed:
        plan = next((c.get("data") for c in checks if c["name"] == "plan"), None)
        checks += kind.fit(spec, get_settings().workspace, live_gpus(queue), plan)
    return checks
