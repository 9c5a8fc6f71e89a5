"""The reaper's decisions on the real job store (the broker is replaced by two callables)."""

from datetime import timedelta

from core.jobs import journal, recovery, store
from core.jobs.models import JobStatus as S
from core.jobs.models import utcnow
from core.kinds.gpu_smoke.spec import GpuSmokeSpec


class Broker:
    """Records what the reaper sends; `depth` is what it reports for every queue."""

    def __init__(self, depth=0):
        self.sent, self.depth = [], depth

    def send(self, job):
        self.sent.append(job.id)
        store.mark_dispatched(job.id)

    def queue_depth(self, queue):
        return self.depth


def reap(broker):
    return recovery.reap(send=broker.send, queue_depth=broker.queue_depth)


def running_job(*, attempt=1, silent_for=60.0, status=S.running):
    job = store.create_job(spec=GpuSmokeSpec(kind="gpu_smoke"))
    store.mark_dispatched(job.id)
    store.transition(
        job.id,
        S.running,
        attempt=attempt,
        worker="gone",
        heartbeat_at=utcnow() - timedelta(seconds=silent_for),
    )
    if status == S.cancelling:
        store.transition(job.id, S.cancelling)
    return job


def test_a_stale_running_job_is_queued_again_and_resent():
    job, broker = running_job(attempt=1), Broker()
    report = reap(broker)
    assert job.id in report.retried and job.id in broker.sent
    again = store.get_job(job.id)
    assert again.status == S.queued and again.worker is None
    assert store.claim(job.id, worker="new").attempt == 2


def test_past_max_attempts_a_stale_job_fails_as_worker_lost():
    job = running_job(attempt=3)
    reap(Broker())
    failed = store.get_job(job.id)
    assert failed.status == S.failed and failed.error["type"] == "worker_lost"
    assert "attempt 3 of 3" in failed.error["message"] and failed.error["hint"]


def test_a_stale_job_being_cancelled_ends_cancelled():
    job = running_job(status=S.cancelling)
    reap(Broker())
    assert store.get_job(job.id).status == S.cancelled


def test_a_live_job_is_left_alone():
    job = running_job(silent_for=0)
    report = reap(Broker())
    assert job.id not in report.retried + report.failed
    assert store.get_job(job.id).status == S.running


def test_a_queued_job_is_resent_only_when_its_queue_is_empty(settings_env):
    settings_env(requeue_after_s="0")
    job = store.create_job(spec=GpuSmokeSpec(kind="gpu_smoke"))
    busy = Broker(depth=3)
    assert job.id not in reap(busy).resent  # its message may still be in the queue
    empty = Broker(depth=0)
    assert job.id in reap(empty).resent
    assert any("sent again" in e.message for e in journal.list_events(job.id)[0])


def test_a_recently_sent_job_is_not_resent(settings_env):
    settings_env(requeue_after_s="600")
    job = store.create_job(spec=GpuSmokeSpec(kind="gpu_smoke"))
    store.mark_dispatched(job.id)
    assert job.id not in reap(Broker(depth=0)).resent


def test_a_job_another_reaper_retried_and_a_worker_claimed_again_is_left_to_that_worker():
    job = running_job(attempt=1)
    stale_before = utcnow() - timedelta(seconds=30)
    [seen] = [j for j in store.stale_jobs(stale_before) if j.id == job.id]  # this reaper's list
    first, second = Broker(), Broker()
    recovery.recover_if_stale(seen.id, stale_before, first.send, recovery.ReapReport())
    store.claim(job.id, worker="new")  # attempt 2, heartbeat now
    report = recovery.ReapReport()
    recovery.recover_if_stale(seen.id, stale_before, second.send, report)  # the second reaper
    assert report == recovery.ReapReport() and second.sent == []
    claimed = store.get_job(job.id)
    assert (claimed.status, claimed.worker, claimed.attempt) == (S.running, "new", 2)
    retries = [e for e in journal.list_events(job.id)[0] if e.stage == "recovery"]
    assert [e.message.endswith("queued for attempt 2") for e in retries] == [True]
