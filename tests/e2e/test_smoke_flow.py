"""gpu_smoke through a real uvicorn and a real Celery worker, over Redis and the embedded broker."""


def test_gpu_smoke_with_allow_cpu_succeeds_and_logs_each_stage_in_order(service):
    service.start_worker()
    job = service.submit({"kind": "gpu_smoke", "allow_cpu": True, "matrix_size": 128})
    done = service.wait(job["id"])
    assert done["status"] == "succeeded", service.logs()
    assert (
        done["result"]["device"] == "cpu"
        and done["result"]["matmul_check"]["relative_error"] < 1e-3
    )
    assert done["attempt"] == 1 and done["progress"]["fraction"] == 1.0 and done["finished_at"]
    events = service.events(job["id"])
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    stages = list(dict.fromkeys(e["stage"] for e in events))
    assert stages == ["queue", "claim", "inspect", "matmul_check", "finish"]


def test_gpu_smoke_without_a_gpu_fails_with_no_gpu_and_the_hint(service):
    service.start_worker()
    done = service.wait(service.submit({"kind": "gpu_smoke", "matrix_size": 64})["id"])
    assert done["status"] == "failed"
    error = done["error"]
    assert error["type"] == "no_gpu" and error["stage"] == "inspect"
    assert all(fact in error["hint"] for fact in ("/dev/kfd", "/dev/dri", "video", "render"))
    assert "Traceback" not in error["message"]


def test_health_sees_the_broker_and_counts_live_workers(service):
    assert service.health()["workers"] == 0
    service.start_worker("gpu")
    service.start_worker("cpu")
    health = service.health()
    listed = health.pop("worker_devices")  # no token set: the details are for anyone
    assert health == {"status": "ok", "database": "ok", "broker": "ok", "workers": 2}
    assert [(w["devices"], w["current_job"]) for w in listed] == [([], None), ([], None)]
