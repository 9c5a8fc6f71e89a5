"""The webhook outbox on the real SQLite store: deliveries added with the status change they
tell of, claimed by one deliverer alone, retried after doubling waits, given up in the end."""

import multiprocessing
from datetime import UTC, datetime

import pytest
from sqlmodel import update

from core.errors import IllegalTransition
from core.jobs import outbox, store
from core.jobs.db import write_session
from core.jobs.models import DeliveryStatus, WebhookDelivery, utcnow
from core.jobs.models import JobStatus as S
from core.kinds import WorkflowSpec
from core.kinds.gpu_smoke.spec import GpuSmokeSpec
from core.webhooks.sending import Outcome
from core.webhooks.targets import WebhookTarget

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SERVICE_WIDE = "http://ops.test/all"
OWN = "http://hooks.test/done"


@pytest.fixture
def hooks(settings_env):
    settings_env(
        webhook_secret=SECRET,
        webhook_urls=f'["{SERVICE_WIDE}"]',
        webhook_max_attempts="3",
        webhook_retry_base_s="5",
    )


def new_job(**fields):
    return store.create_job(spec=GpuSmokeSpec(kind="gpu_smoke", **fields))


def events(job_id: str) -> list[tuple[str, str]]:
    return [(d.event, d.url) for d, _ in outbox.list_deliveries(job_id)]


def failed(code: int = 500) -> Outcome:
    return Outcome(datetime.now(UTC), 0.01, code, f"HTTP {code}")


def test_each_status_change_adds_the_deliveries_its_targets_want(hooks):
    own = WebhookTarget.model_validate({"url": OWN, "events": ["job.succeeded"]})
    job = new_job(webhooks=[own])
    store.transition(job.id, S.running)
    store.transition(job.id, S.succeeded, result={"ok": True})
    assert events(job.id) == [
        ("job.queued", SERVICE_WIDE),
        ("job.running", SERVICE_WIDE),
        ("job.succeeded", OWN),
        ("job.succeeded", SERVICE_WIDE),
    ]
    body = outbox.list_deliveries(job.id)[-1][0].payload
    assert body["type"] == "job.succeeded" and body["data"]["id"] == job.id
    assert body["data"]["status"] == "succeeded" and body["data"]["result"] == {"ok": True}
    assert "job_metadata" not in body["data"] and body["data"]["metadata"] == {}


def test_a_workflow_hears_when_each_of_its_steps_ends(hooks):
    own = WebhookTarget.model_validate({"url": OWN, "events": ["workflow.step_finished"]})
    spec = WorkflowSpec.model_validate({"kind": "workflow", "steps": ["gpu_smoke"]})
    flow = store.create_job(spec=spec.model_copy(update={"webhooks": [own]}))
    store.transition(flow.id, S.running)  # as `workflow.advance` does when it starts a step
    step = store.create_job(spec=spec.step_specs()[0], parent_id=flow.id)
    store.transition(step.id, S.running)
    store.transition(step.id, S.failed)
    [finished] = [d for d, _ in outbox.list_deliveries(flow.id) if d.url == OWN]
    assert finished.event == "workflow.step_finished"
    assert finished.payload["data"]["id"] == step.id
    assert finished.payload["data"]["parent_id"] == flow.id
    assert finished.payload["data"]["status"] == "failed"


def test_a_refused_status_change_sends_nothing(hooks):
    job = new_job()
    with pytest.raises(IllegalTransition):
        store.transition(job.id, S.succeeded)  # queued cannot finish without running
    assert events(job.id) == [("job.queued", SERVICE_WIDE)]


def test_without_a_secret_no_delivery_is_made(settings_env):
    settings_env()
    job = new_job()
    store.transition(job.id, S.running)
    assert events(job.id) == []


def _claim_in_child(results):
    results.put([delivery.id for delivery in outbox.claim_due(1000, lease_s=60)])


def test_of_concurrent_claimers_each_delivery_goes_to_one(hooks):
    mine = {d.id for _ in range(5) for d, _ in outbox.list_deliveries(new_job().id)}
    ctx = multiprocessing.get_context("fork")  # each child opens its own engine
    results = ctx.Queue()
    claimers = [ctx.Process(target=_claim_in_child, args=(results,)) for _ in range(4)]
    for p in claimers:
        p.start()
    for p in claimers:
        p.join(60)
    claimed = [i for _ in claimers for i in results.get(timeout=5)]
    assert len(claimed) == len(set(claimed))  # nobody sends what another claimed
    assert mine <= set(claimed)
    assert outbox.claim_due(1000, lease_s=60) == []  # all leased


def test_a_lost_claim_is_claimed_again_when_its_lease_ends(hooks):
    new_job()
    [*first] = outbox.claim_due(1000, lease_s=0)
    again = outbox.claim_due(1000, lease_s=60)
    assert {d.id for d in first} <= {d.id for d in again}
    assert {d.claim for d in first}.isdisjoint({d.claim for d in again})


def test_failed_tries_are_retried_after_doubling_waits_then_given_up(hooks):
    job = new_job()
    outbox.claim_due(1000, lease_s=60)  # its job.queued and other tests' leftovers, held off
    store.transition(job.id, S.running)
    waits = []
    for _ in range(3):
        [delivery] = [d for d in outbox.claim_due(1000, lease_s=0) if d.job_id == job.id]
        before = datetime.now(UTC)
        status = outbox.record_attempt(delivery, failed())
        [row] = [d for d, _ in outbox.list_deliveries(job.id) if d.id == delivery.id]
        if row.next_attempt_at:
            waits.append(round((row.next_attempt_at - before).total_seconds()))
            _due_now(row.id)  # the wait cut short, so the test need not sleep
    assert waits == [5, 10] and status == DeliveryStatus.failed
    [(row, tries)] = [(d, t) for d, t in outbox.list_deliveries(job.id) if d.event == "job.running"]
    assert row.status == DeliveryStatus.failed and row.attempts == 3
    assert [(t.number, t.status_code, t.error) for t in tries] == [
        (n, 500, "HTTP 500") for n in (1, 2, 3)
    ]


def test_a_2xx_answer_delivers(hooks):
    job = new_job()
    [delivery] = [d for d in outbox.claim_due(1000, lease_s=60) if d.job_id == job.id]
    ok = Outcome(datetime.now(UTC), 0.01, 204, None)
    assert outbox.record_attempt(delivery, ok) == DeliveryStatus.delivered
    [(row, tries)] = outbox.list_deliveries(job.id)
    assert row.status == DeliveryStatus.delivered and row.next_attempt_at is None
    assert [t.status_code for t in tries] == [204]


def test_the_backoff_doubles_from_its_base():
    assert [outbox.retry_delay(n, 5) for n in range(1, 6)] == [5, 10, 20, 40, 80]


def _due_now(delivery_id: str) -> None:
    with write_session() as session:
        session.exec(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(next_attempt_at=utcnow())
        )
