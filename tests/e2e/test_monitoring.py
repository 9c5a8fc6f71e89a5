"""/metrics and /workers on a real service: uvicorn with two processes, a real Celery worker."""

import http.client
from datetime import datetime
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.service import Service, wait_until
from worker.celery_app import QUEUES

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


def parse(text: str) -> dict[str, float]:
    return {
        sample.name + repr(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(url: str) -> dict[str, float]:
    response = httpx.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    return parse(response.text)


def scrape_naming_the_process(port: int, servers: list[psutil.Process]) -> tuple[int, dict]:
    """One scrape on a fresh connection, and the pid of the uvicorn process that answered it
    (the one holding the other end of the connection, still open after the answer)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        assert response.status == 200
        text = response.read().decode()
        ours = connection.sock.getsockname()[1]
        [pid] = [
            server.pid
            for server in servers
            for peer in server.net_connections("tcp")
            if peer.raddr and peer.raddr.port == ours
        ]
    finally:
        connection.close()
    return pid, parse(text)


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

    # uvicorn's two server processes (its other child is multiprocessing's resource tracker).
    children = psutil.Process(service.api.pid).children()
    servers = [child for child in children if "spawn_main" in " ".join(child.cmdline())]
    assert len(servers) == 2
    answered: dict[int, dict] = {}  # pid → what it answered

    def both_answered() -> bool:
        pid, metrics = scrape_naming_the_process(service.port, servers)
        answered[pid] = metrics
        return len(answered) == 2

    wait_until(both_answered, 30, "both uvicorn processes to answer a scrape")
    first, second = answered.values()
    assert first == second
    metrics = first
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
    assert workers["queues"] == dict.fromkeys(QUEUES, 0)  # gpu, gpu.2 … gpu.8, cpu


def test_workers_shows_the_job_each_one_runs(two_process_service):
    service = two_process_service
    service.start_worker("gpu")
    smoke = {"kind": "gpu_smoke", "allow_cpu": True, "matrix_size": 16, "burn_in_s": 30}
    job = service.wait(service.submit(smoke)["id"], {"running"}, timeout=30)
    [worker] = service.http.get("/workers").json()["data"]
    assert job["worker"].startswith(f"{worker['hostname']} pid ")
    assert worker["current_job"]["id"] == job["id"]
    assert worker["current_job"]["status"] == "running"
    assert scrape(service.url)[sample("c64ft_jobs", status="running", kind="gpu_smoke")] == 1
    service.http.post(f"/jobs/{job['id']}/cancel")
    assert service.wait(job["id"], timeout=30)["status"] == "cancelled"
    [worker] = service.http.get("/workers").json()["data"]
    assert worker["current_job"] is None


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
        assert service.http.get("/workers").json()["queues"] == dict.fromkeys(QUEUES)
    finally:
        service.stop()
