"""Cancel, a killed worker, a lost message, a broker that was down: nothing is lost or run twice."""

import time

import pytest

from tests.e2e.service import Service, wait_until

BURN_IN = {"kind": "gpu_smoke", "allow_cpu": True, "matrix_size": 64}


def claims(service, job_id):
    return [e for e in service.events(job_id) if e["stage"] == "claim"]


def test_a_cancelled_queued_job_is_never_run(redis_service):
    job = redis_service.submit(BURN_IN)
    assert redis_service.http.post(f"/jobs/{job['id']}/cancel").json()["status"] == "cancelled"
    redis_service.start_worker()
    # a job sent after it runs to the end, so the worker has consumed the cancelled one's message
    later = redis_service.wait(redis_service.submit(BURN_IN)["id"])
    assert later["status"] == "succeeded"
    cancelled = redis_service.job(job["id"])
    assert cancelled["status"] == "cancelled" and cancelled["attempt"] == 0
    assert claims(redis_service, job["id"]) == []
    again = redis_service.http.post(f"/jobs/{job['id']}/cancel")
    assert again.status_code == 409


def test_cancel_stops_a_running_job(redis_service):
    redis_service.start_worker()
    job = redis_service.submit({**BURN_IN, "burn_in_s": 120})
    wait_until(lambda: redis_service.job(job["id"])["stage"] == "burn_in", 60, "burn-in")
    answer = redis_service.http.post(f"/jobs/{job['id']}/cancel").json()
    assert answer["status"] == "cancelling"
    done = redis_service.wait(job["id"], timeout=20)
    assert done["status"] == "cancelled"
    finished = redis_service.http.post(f"/jobs/{job['id']}/cancel")
    assert finished.status_code == 409


def test_a_job_whose_worker_is_killed_runs_again_and_succeeds(service):
    worker = service.start_worker()
    job = service.submit({**BURN_IN, "burn_in_s": 4})
    wait_until(lambda: service.job(job["id"])["stage"] == "burn_in", 60, "burn-in")
    service.kill_worker(worker)
    assert service.job(job["id"])["status"] == "running"  # nobody has noticed yet
    service.start_worker()
    done = service.wait(job["id"], timeout=90)
    assert done["status"] == "succeeded" and done["attempt"] == 2, service.logs()
    assert len(claims(service, job["id"])) == 2
    recovery = [e for e in service.events(job["id"]) if e["stage"] == "recovery"]
    assert "queued for attempt 2" in recovery[0]["message"]


@pytest.mark.parametrize("service", ["redis", "embedded"], indirect=True)
def test_a_job_whose_message_was_lost_is_resent_and_runs_once(service, request):
    job = service.submit(BURN_IN)
    if service.env.get("C64FT_BROKER_URL"):  # Redis: the queue is a list named after it
        redis_client = request.getfixturevalue("redis_client")
        assert redis_client.llen("gpu") == 1
        redis_client.delete("gpu")
    else:  # the embedded broker: one file per message
        [message] = (service.workspace / "data" / "broker" / "queue").glob("*.gpu.msg")
        message.unlink()
    time.sleep(2.5)  # older than C64FT_REQUEUE_AFTER_S: the reaper may now call it lost
    service.start_worker()
    done = service.wait(job["id"])
    assert done["status"] == "succeeded" and done["attempt"] == 1
    assert len(claims(service, job["id"])) == 1
    assert any("sent again" in e["message"] for e in service.events(job["id"]))


def test_jobs_submitted_while_the_broker_is_down_run_once_it_is_back(tmp_path, private_redis):
    service = Service(tmp_path, private_redis.url)
    service.start_api()
    try:
        private_redis.stop()
        assert service.health()["broker"].startswith("error")
        job = service.submit(BURN_IN)  # the row is committed; the message could not be sent
        assert job["status"] == "queued"
        assert "broker unreachable" in service.events(job["id"])[-1]["message"]
        private_redis.start()  # an empty Redis: the message never reached it
        service.start_worker()
        done = service.wait(job["id"])
        assert done["status"] == "succeeded" and done["attempt"] == 1, service.logs()
        assert len(claims(service, job["id"])) == 1
    finally:
        service.stop()
