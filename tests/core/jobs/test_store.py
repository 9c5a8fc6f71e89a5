"""The job store on a real SQLite file and a real Postgres database: lifecycle, atomic claim,
concurrent writers."""

import multiprocessing
import threading

import pytest

from core.errors import IllegalTransition, JobNotFound
from core.jobs import journal, store
from core.jobs.models import JobStatus as S
from core.kinds.gpu_smoke.spec import GpuSmokeSpec


def new_job(**fields):
    return store.create_job(spec=GpuSmokeSpec(kind="gpu_smoke", **fields))


def test_create_job_saves_the_resolved_spec_and_the_labels_apart():
    job = store.create_job(spec=GpuSmokeSpec(kind="gpu_smoke", metadata={"team": "sid"}))
    saved = store.get_job(job.id)
    assert saved.status == S.queued and saved.queue == "gpu" and saved.attempt == 0
    assert saved.spec == {
        "kind": "gpu_smoke",
        "allow_cpu": False,
        "matrix_size": 1024,
        "burn_in_s": 0.0,
    }
    assert saved.job_metadata == {"team": "sid"}
    events, _ = journal.list_events(job.id)
    assert [e.stage for e in events] == ["queue"]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], S.succeeded),  # queued cannot finish without running
        ([S.cancelled], S.running),  # a cancelled job never runs
        ([S.running, S.succeeded], S.failed),  # finished is final
        ([S.running, S.failed], S.queued),
        ([S.running, S.cancelling], S.running),
    ],
)
def test_an_illegal_transition_raises_and_writes_nothing(path, illegal):
    job = new_job()
    for status in path:
        store.transition(job.id, status)
    before = store.get_job(job.id)
    with pytest.raises(IllegalTransition):
        store.transition(job.id, illegal, worker="should-not-be-written")
    after = store.get_job(job.id)
    assert after.status == before.status and after.worker == before.worker


def test_terminal_transitions_stamp_finished_at():
    job = new_job()
    store.transition(job.id, S.running)
    assert store.get_job(job.id).finished_at is None
    assert store.transition(job.id, S.succeeded).finished_at is not None


def test_unknown_job_raises_not_found():
    with pytest.raises(JobNotFound):
        store.transition("job_nope", S.running)


def _claim_in_child(job_id, results):
    try:
        store.claim(job_id, worker=f"w{multiprocessing.current_process().pid}")
        results.put("won")
    except IllegalTransition:
        results.put("lost")


def test_only_one_of_many_concurrent_claims_wins():
    job = new_job()
    # fork is safe here: each process opens its own engine (core.jobs.db keys them by pid)
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    claimers = [ctx.Process(target=_claim_in_child, args=(job.id, results)) for _ in range(6)]
    for p in claimers:
        p.start()
    for p in claimers:
        p.join(60)
    outcomes = sorted(results.get(timeout=5) for _ in claimers)
    assert outcomes == ["lost"] * 5 + ["won"]
    claimed = store.get_job(job.id)
    assert claimed.status == S.running and claimed.attempt == 1


def test_of_many_threads_claiming_one_job_exactly_one_wins():
    job = new_job()
    start, outcomes = threading.Barrier(16), []

    def claim(name):
        start.wait()  # all at once: on Postgres each its own connection, waiting on the row lock
        try:
            store.claim(job.id, worker=name)
            outcomes.append(name)
        except IllegalTransition:
            outcomes.append("lost")

    threads = [threading.Thread(target=claim, args=(f"t{i}",)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    [winner] = [o for o in outcomes if o != "lost"]
    assert len(outcomes) == 16
    claimed = store.get_job(job.id)
    assert (claimed.status, claimed.worker, claimed.attempt) == (S.running, winner, 1)


def test_the_store_runs_on_the_backend_in_the_test_id(backend):
    from core.jobs.db import get_engine

    assert get_engine().dialect.name == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]
    job = new_job()
    with get_engine().connect() as connection:  # the job is in that very database
        assert connection.exec_driver_sql(f"SELECT id FROM job WHERE id = '{job.id}'").scalar()


def _write_events(job_id, count):
    for i in range(count):
        journal.add_event(job_id, f"event {i}")
        store.heartbeat(job_id, "w")


def test_concurrent_writers_never_see_database_is_locked():
    job = new_job()
    store.transition(job.id, S.running, worker="w")
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=_write_events, args=(job.id, 60)) for _ in range(4)]
    for p in writers:
        p.start()
    for p in writers:
        p.join(120)
    assert [p.exitcode for p in writers] == [0, 0, 0, 0]
    events, _ = journal.list_events(job.id, limit=1000)
    assert len(events) == 1 + 4 * 60


def test_cancel_queued_ends_it_and_cancel_running_asks_it_to_stop():
    queued, running = new_job(), new_job()
    store.transition(running.id, S.running)
    assert store.request_cancel(queued.id).status == S.cancelled
    assert store.request_cancel(running.id).status == S.cancelling
    assert store.request_cancel(running.id).status == S.cancelling  # asking twice is fine
    with pytest.raises(IllegalTransition):
        store.request_cancel(queued.id)


def test_queue_position_counts_the_jobs_ahead_on_the_same_queue():
    first, second = new_job(), new_job()
    ahead = store.queue_position(first)
    assert ahead is not None
    assert store.queue_position(second) == ahead + 1
    store.transition(first.id, S.running)
    assert store.queue_position(store.get_job(first.id)) is None
    assert store.queue_position(second) == ahead


def test_list_jobs_pages_newest_first_with_a_cursor():
    ids = [new_job(metadata={"page": "yes"}).id for _ in range(5)]
    page, has_more = store.list_jobs(limit=2)
    assert [j.id for j in page] == ids[::-1][:2] and has_more
    rest, _ = store.list_jobs(limit=3, before=page[-1].id)
    assert [j.id for j in rest] == ids[::-1][2:5]
