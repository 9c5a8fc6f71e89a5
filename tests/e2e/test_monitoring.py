"""/metrics and /workers on a real service: uvicorn with two processes, a real Celery worker."""

from datetime import datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.service import Service, wait_until

ROOT = Path(__file__).parents[2]
JOBS = 20


@pytest.fixture
def two_process_service(tmp_path, redis_client, redis_url):
    service = Service(tmp_path, redis_url)
    service.env |= {"C64FT_EXTRA_KINDS": '["tests.kinds.echo"]', "PYTHONPATH": str(ROOT)}
    service.start_api(workers=2)
    yield service
    service.stop()
    print(service.logs())


def scrape(url: str) -> dict[str, dict[tuple, float]]:
    """One scrape on a fresh connection (so that either uvicorn process may answer it)."""
    response = httpx.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    return {
        sample.name + repr(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(name: str, **labels: str) -> str:
    return name + repr(sorted(labels.items()))


def test_every_process_reports_the_database_truth(two_process_service):
    service = two_process_service
    service.start_worker("cpu")
    ids = [service.submit({"kind": "echo", "word": f"w{n}"})["id"] for n in range(JOBS)]
    for job_id in ids:
        assert service.wait(job_id, timeout=60)["status"] == "succeeded", service.logs()
    jobs = service.http.get("/jobs", params={"limit": 100}).json()["data"]
    assert len(jobs) == JOBS

    scrapes = [scrape(service.url) for _ in range(12)]
    assert all(answer == scrapes[0] for answer in scrapes)  # whichever process answered
    metrics = scrapes[0]
    assert metrics[sample("c64ft_jobs", status="succeeded", kind="echo")] == JOBS
    for status in ("queued", "running", "cancelling", "failed", "cancelled"):
        assert metrics[sample("c64ft_jobs", status=status, kind="echo")] == 0
    assert metrics[sample("c64ft_jobs_created_total", kind="echo")] == JOBS
    assert metrics[sample("c64ft_job_duration_seconds_count", kind="echo")] == JOBS
    ran = sum(_seconds(job["started_at"], job["finished_at"]) for job in jobs)
    assert metrics[sample("c64ft_job_duration_seconds_sum", kind="echo")] == pytest.approx(
        ran, abs=0.01
    )
    assert metrics[sample("c64ft_workers_live")] == 1
    assert metrics[sample("c64ft_queue_depth", queue="cpu")] == 0

    workers = service.http.get("/workers").json()
    [worker] = workers["data"]
    assert worker["queues"] == ["cpu"] and worker["current_job"] is None
    assert workers["queues"] == {"gpu": 0, "cpu": 0}


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def test_a_broker_that_is_down_leaves_queue_depth_unknown(tmp_path, private_redis):
    service = Service(tmp_path, private_redis.url)
    service.start_api()
    try:
        assert scrape(service.url)[sample("c64ft_queue_depth", queue="gpu")] == 0
        private_redis.stop()
        metrics = wait_until(
            lambda: (m := scrape(service.url)) and not any("queue_depth" in k for k in m) and m,
            30,
            "a scrape without queue depth",
        )
        assert metrics[sample("c64ft_jobs_created_total", kind="train")] == 0
        assert service.http.get("/workers").json()["queues"] == {"gpu": None, "cpu": None}
    finally:
        service.stop()
