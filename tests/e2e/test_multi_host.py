"""Two workers, as on two hosts, claiming from one Postgres and one Redis (README, "Several
hosts"): each is its own process with its own C64FT_WORKER_NAME and C64FT_NODE_NAME and the same
other C64FT_* settings. No job runs twice, even when every message is delivered twice, and a
killed worker's job is taken over by the other one."""

import subprocess
from collections import Counter
from pathlib import Path

import pytest

from core.config import Settings
from tests.e2e.service import Service, wait_until
from tests.postgres import fresh_database
from worker.celery_app import TASK_NAME, make_celery

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("worker@host-a", "worker@host-b")  # Celery hostnames: name@node

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_host_service(tmp_path, redis_client, redis_url):
    service = Service(tmp_path, redis_url)
    service.env |= {
        "C64FT_DATABASE_URL": fresh_database("c64ft_multihost"),
        "C64FT_EXTRA_KINDS": '["tests.kinds.echo"]',
        "PYTHONPATH": str(ROOT),
    }
    service.start_api()
    yield service
    service.stop()
    print(service.logs())  # pytest shows it only when the test fails


def start_host_worker(service: Service, name: str) -> subprocess.Popen:
    """A `c64ft worker` with its own name and node, as another host would run it."""
    node = name.split("@")[1]
    env = service.env | {"C64FT_WORKER_NAME": name, "C64FT_NODE_NAME": node}
    log = open(service.workspace / f"worker-{node}.log", "ab")  # noqa: SIM115 (the child's)
    worker = subprocess.Popen(
        [service.python, "-m", "c64ft", "worker", "--queues", "cpu"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: main process and pool process
        cwd=service.workspace,
    )
    service.workers.append(worker)
    return worker


def start_both(service: Service) -> dict[str, subprocess.Popen]:
    workers = {name: start_host_worker(service, name) for name in NAMES}
    wait_until(lambda: service.health()["workers"] == 2, 60, "both workers to register")
    return workers


def submit_twice(service: Service, count: int) -> list[str]:
    """Echo jobs, each followed at once by a second message of its own, as a broker
    redelivery or a reaper's resend makes one: the two lie side by side in the queue."""
    settings = Settings(workspace=service.workspace, broker_url=service.env["C64FT_BROKER_URL"])
    app = make_celery(settings)
    ids = []
    try:
        for n in range(count):
            ids.append(service.submit({"kind": "echo", "word": f"w{n}", "times": 2})["id"])
            app.send_task(TASK_NAME, args=[ids[-1]], queue="cpu")
    finally:
        app.close()
    return ids


def worker_logs(service: Service) -> list[Path]:
    return sorted(service.workspace.glob("worker-*.log"))


def claims(service: Service, job_id: str) -> list[dict]:
    return [e for e in service.events(job_id) if e["stage"] == "claim"]


def echo_marks(service: Service, job_id: str) -> list[int]:
    """The `n` of each saying the runner made: one run of `times: 2` leaves [1, 2]."""
    return [e["data"]["n"] for e in service.events(job_id) if e["message"].startswith("echo:")]


def host_of(job: dict) -> str:
    return job["worker"].rsplit(" pid ", 1)[0]


def test_two_workers_share_the_jobs_and_none_runs_twice(two_host_service):
    service = two_host_service
    ids = submit_twice(service, 16)
    start_both(service)  # 32 messages wait: the two workers take a job's two at once
    done = [service.wait(job_id, timeout=120) for job_id in ids]
    assert {job["status"] for job in done} == {"succeeded"}, service.logs()
    assert {job["attempt"] for job in done} == {1}, [(j["id"], j["attempt"]) for j in done]
    for job_id in ids:
        assert len(claims(service, job_id)) == 1, service.events(job_id)
        assert echo_marks(service, job_id) == [1, 2]
    ran_on = Counter(host_of(job) for job in done)
    assert set(ran_on) == set(NAMES), ran_on  # both workers claimed from the one database
    # Every other message reaches a worker and loses the claim: each job's second one, and any
    # the reaper sent again (a job whose message a worker took but has not claimed yet looks
    # unclaimed on an empty queue: a harmless resend). The last may still be on their way.
    resent = sum("sent again" in e["message"] for job_id in ids for e in service.events(job_id))
    expected = len(ids) + resent
    wait_until(lambda: refused(service) >= expected, 30, f"{expected} refused claims")
    assert refused(service) == expected, service.logs()


def refused(service: Service) -> int:
    """Deliveries that lost the claim, from the workers' logs (worker/tasks.py via
    core.jobs.execution: 'not running <job>: … (a duplicate or cancelled delivery)')."""
    return sum(log.read_text().count("(a duplicate") for log in worker_logs(service))


def test_a_killed_workers_job_is_taken_over_by_the_other(two_host_service):
    service = two_host_service
    workers = start_both(service)
    job = service.submit({"kind": "echo", "word": "long", "times": 25, "pause_s": 0.2})
    wait_until(lambda: len(echo_marks(service, job["id"])) >= 2, 60, "the job to run")
    first = service.job(job["id"])
    victim = host_of(first)
    service.kill_worker(workers[victim])  # SIGKILL to its process group: main and pool process
    assert service.job(job["id"])["status"] == "running"  # nobody has noticed yet
    done = service.wait(job["id"], timeout=60)
    assert done["status"] == "succeeded" and done["attempt"] == 2, service.logs()
    [survivor] = set(NAMES) - {victim}
    assert host_of(done) == survivor
    claimed_by = [c["message"] for c in claims(service, job["id"])]
    assert [victim in m for m in claimed_by] == [True, False], claimed_by
    assert [survivor in m for m in claimed_by] == [False, True], claimed_by
    recovery = [e["message"] for e in service.events(job["id"]) if e["stage"] == "recovery"]
    assert any("queued for attempt 2" in m for m in recovery), recovery
    marks = echo_marks(service, job["id"])
    assert marks[-25:] == list(range(1, 26))  # attempt 2 ran it all (echo does not resume)
    assert 2 <= len(marks) - 25 < 25  # attempt 1 was killed part way
