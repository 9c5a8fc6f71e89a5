"""Workflows: one child job per step, run in order, stopping at the first failure.

No worker runs a workflow. `advance` moves it on from what its children say, and is called
whenever that may have changed: at submission, when a child finishes, on a cancel, and at every
reaper pass, so a crash between two steps only delays the next one. Each call decides inside
one write transaction with the workflow's row locked, so two callers never start a step twice;
the next child's message is sent after the commit, and a lost one is re-sent by the reaper like
any queued job's.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select, update

from core.jobs import store
from core.jobs.db import read_session, write_session
from core.jobs.models import TERMINAL, Job, JobEvent, JobStatus, utcnow
from core.kinds import WorkflowSpec
from core.kinds.workflow import NAME as WORKFLOW
from core.kinds.workflow.spec import WorkflowBase

S = JobStatus


@dataclass(frozen=True)
class StepLink:
    """Where a child job sits in its workflow: its progress is the workflow's too."""

    workflow_id: str
    step: str
    index: int
    count: int


def step_link(job: Job) -> StepLink | None:
    if job.parent_id is None:
        return None
    steps: list[str] = store.get_job(job.parent_id).spec["steps"]
    return StepLink(job.parent_id, job.kind, steps.index(job.kind), len(steps))


def show_step_progress(link: StepLink, fraction: float, stage: str | None) -> None:
    """Mirror a child's stage and progress on its workflow while the workflow is live."""
    with write_session() as session:
        session.exec(
            update(Job)
            .where(col(Job.id) == link.workflow_id, col(Job.status).in_([S.running, S.cancelling]))
            .values(
                progress_fraction=(link.index + fraction) / link.count,
                stage=f"{link.step}: {stage}" if stage else link.step,
            )
        )


def open_workflows() -> list[str]:
    query = select(Job.id).where(Job.kind == WORKFLOW, col(Job.status).not_in(TERMINAL))
    with read_session() as session:
        return list(session.exec(query))


def advance(workflow_id: str, send: Callable[[Job], Any]) -> None:
    """Start the next step, finish the workflow, or pass a cancel on: whatever is due now."""
    with write_session() as session:
        workflow = store.lock_job(session, workflow_id)
        if workflow.status in TERMINAL:
            return
        spec = WorkflowSpec.model_validate(workflow.spec)
        query = select(Job).where(Job.parent_id == workflow_id)
        order: list[str] = list(spec.steps)
        children = sorted(session.exec(query), key=lambda c: order.index(c.kind))
        started = _decide(session, workflow, spec, children)
    if started is not None:
        send(started)


def _decide(session: Session, workflow: Job, spec: WorkflowBase, children: list[Job]):
    """The child to send, if a step starts now; finishes the workflow when it is over."""
    active = next((c for c in children if c.status not in TERMINAL), None)
    if workflow.status == S.cancelling:
        if active is not None:
            _cancel(session, active, "the workflow was cancelled")
            if active.status not in TERMINAL:
                return None  # it stops at its next step boundary; its end advances us again
        _finish(session, workflow, spec, children, S.cancelled, "the workflow was cancelled")
        return None
    if active is not None:
        return None
    last = children[-1] if children else None
    if last is not None and last.status != S.succeeded:
        reason = f"step {last.kind} ({last.id}) {last.status}"
        outcome = S.failed if last.status == S.failed else S.cancelled
        _finish(session, workflow, spec, children, outcome, reason, error=_error(last))
        return None
    if len(children) == len(spec.steps):
        _finish(session, workflow, spec, children, S.succeeded, "every step succeeded")
        return None
    return _start_step(session, workflow, spec, children)


def _start_step(session: Session, workflow: Job, spec: WorkflowBase, children: list[Job]) -> Job:
    index = len(children)
    step = spec.steps[index]
    child = store.add_job(session, spec=_child_spec(workflow, spec, step), parent_id=workflow.id)
    if workflow.status == S.queued:
        store.apply_transition(session, workflow, S.running, started_at=utcnow())
    workflow.stage, workflow.progress_fraction = step, index / len(spec.steps)
    workflow.progress_step, workflow.progress_total_steps = index + 1, len(spec.steps)
    workflow.result = summary(spec, [*children, child])
    _event(session, workflow, f"step {index + 1}/{len(spec.steps)} {step}: {child.id}")
    return child


def _child_spec(workflow: Job, spec: WorkflowBase, step: str):
    """The step's section, labelled with the workflow's metadata (its own labels win)."""
    section = getattr(spec, step)
    return section.model_copy(update={"metadata": {**workflow.job_metadata, **section.metadata}})


def _cancel(session: Session, child: Job, reason: str) -> None:
    if child.status == S.queued:
        store.apply_transition(session, child, S.cancelled, cancel_requested_at=utcnow())
    elif child.status == S.running:
        store.apply_transition(session, child, S.cancelling, cancel_requested_at=utcnow())
    else:
        return
    _event(session, child, f"cancel requested: {reason}: job {child.status}")


def _finish(
    session: Session,
    workflow: Job,
    spec: WorkflowBase,
    children: list[Job],
    outcome: JobStatus,
    reason: str,
    error: dict | None = None,
) -> None:
    """End the workflow; the steps that never ran get a child that ends `cancelled`, with why."""
    for step in spec.steps[len(children) :]:
        child = store.add_job(
            session, spec=_child_spec(workflow, spec, step), parent_id=workflow.id
        )
        stopped = {
            "type": "workflow_stopped",
            "message": f"not run: {reason}",
            "hint": None,
            "param": None,
            "stage": None,
        }
        store.apply_transition(session, child, S.cancelled, error=stopped)
        _event(session, child, f"not run: {reason}")
        children.append(child)
    if outcome == S.cancelled and workflow.status == S.running:
        store.apply_transition(session, workflow, S.cancelling, cancel_requested_at=utcnow())
    fields: dict[str, Any] = {"result": summary(spec, children), "error": error}
    if outcome == S.succeeded:
        fields |= {"progress_fraction": 1.0, "progress_step": len(spec.steps)}
    store.apply_transition(session, workflow, outcome, **fields)
    _event(session, workflow, f"job {outcome}: {reason}")


def _error(child: Job) -> dict[str, Any]:
    """The workflow's error: the failed step's own, naming the step."""
    error = dict(child.error or {"type": "step_cancelled", "message": "cancelled", "hint": None})
    error["message"] = f"step {child.kind} ({child.id}): {error.get('message')}"
    param = error.get("param")
    return error | {"stage": child.kind, "param": f"{child.kind}.{param}" if param else None}


def summary(spec: WorkflowBase, children: list[Job]) -> dict[str, Any]:
    """The workflow's result: each step's job and status, the reasoning verdict, the reports."""
    steps = [
        {
            "step": c.kind,
            "job_id": c.id,
            "status": str(c.status),
            "error": (c.error or {}).get("type"),
        }
        for c in children
    ]
    reports: dict[str, Any] = {}
    verdict = None
    for child in children:
        kind = spec.step_kinds[child.kind]
        if kind.reports:
            section = getattr(spec, child.kind)
            reports |= kind.reports(section, child.status == S.succeeded, child.result)
        verdict = (child.result or {}).get("verdict", verdict)  # the reasoning verdict
    return {"steps": steps, "verdict": verdict, "reports": reports}


def _event(session: Session, job: Job, message: str) -> None:
    session.add(JobEvent(job_id=job.id, stage="workflow", message=message))
