"""GET /metrics and GET /workers on a real database (SQLite, Postgres) of hand-written rows."""

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.prometheus import DURATION_BOUNDS, TRAIN_HELP
from core.jobs import stats
from core.jobs.db import write_session
from core.jobs.models import Job, JobMetric, JobStatus, Worker, utcnow
from tests.backends import empty_database
from worker.celery_app import QUEUES

NOW = utcnow()
TRAIN = "job_train_running"


def job(job_id: str, kind: str, status: JobStatus, ran_s: float | None = None, **fields) -> Job:
    queue = "cpu" if kind == "build_datasets" else "gpu"
    row = Job(id=job_id, kind=kind, queue=queue, status=status, spec={"kind": kind}, **fields)
    if ran_s is not None:
        row.started_at, row.finished_at = NOW - timedelta(seconds=ran_s), NOW
    return row


def job_rows() -> list[Job]:
    return [
        job("job_a", "gpu_smoke", JobStatus.succeeded, 0.5),
        job("job_b", "gpu_smoke", JobStatus.succeeded, 12),
        job("job_c", "gpu_smoke", JobStatus.failed, 100),
        job("job_d", "gpu_smoke", JobStatus.queued),
        job("job_e", "build_datasets", JobStatus.cancelled, 7200),
        job("job_f", "retired_kind", JobStatus.succeeded, 3),  # a kind no longer registered
        job(TRAIN, "train", JobStatus.running, started_at=NOW, worker="celery@gpu1 pid 42"),
        job("job_old_train", "train", JobStatus.succeeded, 60),
    ]


def metric_rows() -> list[JobMetric]:
    """The running train job's log: a loss row, an eval row, a later loss row; a second phase."""
    return [
        JobMetric(job_id=TRAIN, phase="dapt", step=10, loss=2.5, tokens_per_second=900.0),
        JobMetric(job_id=TRAIN, phase="dapt", step=20, eval_loss=2.2),
        JobMetric(job_id=TRAIN, phase="dapt", step=30, loss=2.1, tokens_per_second=1000.0),
        JobMetric(job_id=TRAIN, phase="sft", step=5, loss=1.5, tokens_per_second=800.0),
        JobMetric(job_id="job_old_train", phase="dapt", step=99, loss=0.1),  # finished: not shown
    ]


@pytest.fixture
def store(backend, tmp_path):
    with empty_database(backend, tmp_path):
        add_rows()
        yield


def add_rows() -> None:
    with write_session() as session:
        session.add_all(job_rows())
        session.flush()
        session.add_all(metric_rows())
        gpu = Worker(hostname="celery@gpu1", queues="gpu", pid=42, node="box", devices="0,1")
        gpu.gpus = [{"id": d, "name": "NVIDIA L4", "memory_bytes": 24_152_899_584} for d in "01"]
        session.add(gpu)
        session.add(Worker(hostname="celery@cpu1", queues="cpu", pid=7))
        stale = NOW - timedelta(hours=1)
        session.add(Worker(hostname="celery@gone", queues="gpu", pid=9, heartbeat_at=stale))


def scrape(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    families = text_string_to_metric_families(response.text)
    return {family.name: family for family in families}


def samples(family, name: str | None = None) -> dict[tuple, float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for s in family.samples
        if name is None or s.name == name
    }


def test_jobs_by_status_and_kind_zero_filled_and_created_totals(client, store):
    metrics = scrape(client)
    jobs = samples(metrics["c64ft_jobs"])
    assert jobs[(("kind", "gpu_smoke"), ("status", "succeeded"))] == 2
    assert jobs[(("kind", "gpu_smoke"), ("status", "failed"))] == 1
    assert jobs[(("kind", "gpu_smoke"), ("status", "queued"))] == 1
    assert jobs[(("kind", "gpu_smoke"), ("status", "running"))] == 0
    assert jobs[(("kind", "retired_kind"), ("status", "succeeded"))] == 1
    assert jobs[(("kind", "workflow"), ("status", "cancelling"))] == 0
    assert sum(jobs.values()) == len(job_rows())
    created = samples(metrics["c64ft_jobs_created"], "c64ft_jobs_created_total")
    assert created[(("kind", "gpu_smoke"),)] == 4 and created[(("kind", "train"),)] == 2
    assert created[(("kind", "export"),)] == 0


def test_duration_histogram_by_kind(client, store):
    family = scrape(client)["c64ft_job_duration_seconds"]
    assert family.type == "histogram"
    smoke = {
        s.labels["le"]: s.value
        for s in family.samples
        if s.name.endswith("_bucket") and s.labels["kind"] == "gpu_smoke"
    }
    assert len(smoke) == len(DURATION_BOUNDS) + 1
    assert (smoke["1.0"], smoke["5.0"], smoke["15.0"], smoke["60.0"]) == (1, 1, 2, 2)
    assert (smoke["120.0"], smoke["+Inf"]) == (3, 3)
    count = samples(family, "c64ft_job_duration_seconds_count")
    total = samples(family, "c64ft_job_duration_seconds_sum")
    assert count[(("kind", "gpu_smoke"),)] == 3
    assert total[(("kind", "gpu_smoke"),)] == pytest.approx(112.5, abs=0.01)
    assert count[(("kind", "build_datasets"),)] == 1
    assert count[(("kind", "train"),)] == 1  # the running one has not finished
    assert (("kind", "export"),) not in count  # no finished export: no histogram


def test_running_train_jobs_latest_values_by_phase(client, store):
    metrics = scrape(client)
    dapt, sft = (("job_id", TRAIN), ("phase", "dapt")), (("job_id", TRAIN), ("phase", "sft"))
    assert samples(metrics["c64ft_train_loss"]) == {dapt: 2.1, sft: 1.5}
    assert samples(metrics["c64ft_train_eval_loss"]) == {dapt: 2.2}
    assert samples(metrics["c64ft_train_tokens_per_second"]) == {dapt: 1000.0, sft: 800.0}
    assert samples(metrics["c64ft_train_step"]) == {dapt: 30, sft: 5}
    assert set(TRAIN_HELP) == set(stats.TRAIN_COLUMNS)


def test_live_workers_and_queue_depth(client, store):
    metrics = scrape(client)
    assert samples(metrics["c64ft_workers_live"]) == {(): 2}
    depth = samples(metrics["c64ft_queue_depth"])
    assert set(depth) == {(("queue", queue),) for queue in QUEUES}  # gpu … gpu.8, cpu
    assert all(value >= 0 for value in depth.values())


def test_openmetrics_when_the_scraper_asks(client, store):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


def test_workers_lists_each_live_worker_with_its_current_job(client, store):
    body = client.get("/workers").json()
    gpu, cpu = sorted(body["data"], key=lambda w: w["hostname"], reverse=True)
    assert (gpu["hostname"], gpu["queues"], gpu["pid"]) == ("celery@gpu1", ["gpu"], 42)
    assert gpu["current_job"] == {
        "id": TRAIN,
        "kind": "train",
        "status": "running",
        "stage": None,
        "progress_fraction": None,
    }
    assert (gpu["node"], gpu["devices"]) == ("box", ["0", "1"])
    assert cpu["hostname"] == "celery@cpu1" and cpu["current_job"] is None
    assert [(g["id"], g["name"]) for g in gpu["gpus"]] == [("0", "NVIDIA L4"), ("1", "NVIDIA L4")]
    assert gpu["gpus"][0]["memory_bytes"] == 24_152_899_584
    assert cpu["devices"] == [] and cpu["gpus"] is None  # unknown: it did not say
    assert set(body["queues"]) == set(QUEUES)
    health = client.get("/health").json()
    assert health["workers"] == 2  # the same two, counted, with their devices and current job
    assert health["worker_devices"] == [
        {key: w[key] for key in ("hostname", "node", "devices", "gpus", "current_job")}
        for w in (cpu, gpu)
    ]
