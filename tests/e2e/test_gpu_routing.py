"""Workers per GPU set, with a real API and real Celery workers: a job needing 2 GPUs waits
while only a 1-GPU worker runs and starts when a 2-GPU worker joins; each job sees only its
worker's devices; a worker claiming a device another live worker of its node owns refuses to
start. The gpu kind is a test's own (tests/kinds/gpu_echo.py): routing needs no GPU."""

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.service import Service, wait_until

ROOT = Path(__file__).parents[2]
NODE = "box-1"
# the node's four GPUs, declared: each worker records those it owns (GET /workers `gpus`)
INVENTORY = [{"id": str(n), "name": "NVIDIA L4", "memory_bytes": 24_152_899_584} for n in range(4)]


@pytest.fixture
def gpu_service(tmp_path, redis_client, redis_url):
    service = Service(tmp_path, redis_url)
    service.env |= {
        "C64FT_EXTRA_KINDS": '["tests.kinds.gpu_echo"]',
        "C64FT_NODE_NAME": NODE,
        "C64FT_GPU_INVENTORY": json.dumps(INVENTORY),
        "PYTHONPATH": str(ROOT),
    }
    service.start_api()
    yield service
    service.stop()
    print(service.logs())


def start_worker(service: Service, gpus: str) -> subprocess.Popen:
    """`c64ft worker --queues cpu --gpus …`, once it is registered."""
    argv = [service.python, "-m", "c64ft", "worker", "--queues", "cpu", "--gpus", gpus]
    worker = service._spawn(f"worker-gpus-{gpus}", argv)
    service.workers.append(worker)
    wait_until(lambda: gpus.split(",") in devices(service).values(), 60, f"worker of {gpus}")
    return worker


def devices(service: Service) -> dict[str, list[str]]:
    """Each live worker's devices, as /health lists them."""
    return {w["hostname"]: w["devices"] for w in service.health()["worker_devices"]}


def submit(service: Service, gpus: int, hold_s: float = 0.0) -> dict:
    return service.submit({"kind": "gpu_echo", "gpus": gpus, "hold_s": hold_s})


def test_a_2_gpu_job_waits_for_a_worker_owning_2_gpus(gpu_service):
    service = gpu_service
    start_worker(service, "0")
    dry = service.http.post("/jobs", params={"dry_run": True}, json={"kind": "gpu_echo", "gpus": 2})
    assert dry.json()["queue"] == "gpu.2"
    [workers] = [check for check in dry.json()["checks"] if check["name"] == "workers"]
    assert workers["status"] == "warn" and "`c64ft worker --gpus 0,1`" in workers["message"]
    two = submit(service, gpus=2)
    one = submit(service, gpus=1, hold_s=2)

    wait_until(lambda: service.job(one["id"])["status"] == "running", 30, "the 1-GPU job")
    [busy] = service.health()["worker_devices"]
    assert (busy["node"], busy["devices"]) == (NODE, ["0"])
    assert busy["current_job"]["id"] == one["id"]
    done = service.wait(one["id"], timeout=30)
    assert done["status"] == "succeeded", service.logs()
    pinned = {"CUDA_VISIBLE_DEVICES": "0", "HIP_VISIBLE_DEVICES": "0"}
    assert done["result"]["env"] == pinned
    time.sleep(3)  # the 1-GPU worker is idle and listening: it must still leave the job alone
    assert service.job(two["id"])["status"] == "queued"
    workers = service.http.get("/workers").json()
    assert workers["queues"]["gpu.2"] == 1
    [idle] = workers["data"]
    assert idle["queues"] == ["cpu", "gpu"] and idle["current_job"] is None

    start_worker(service, "1,2")
    done = service.wait(two["id"], timeout=30)
    assert done["status"] == "succeeded", service.logs()
    assert done["result"]["env"] == {"CUDA_VISIBLE_DEVICES": "1,2", "HIP_VISIBLE_DEVICES": "1,2"}
    listed = {w["devices"][0]: w for w in service.http.get("/workers").json()["data"]}
    assert listed["1"]["queues"] == ["cpu", "gpu", "gpu.2"] and listed["1"]["node"] == NODE
    assert listed["1"]["gpus"] == INVENTORY[1:3] and listed["0"]["gpus"] == INVENTORY[:1]


def test_a_worker_claiming_a_device_of_a_live_worker_of_its_node_refuses_to_start(gpu_service):
    service = gpu_service
    start_worker(service, "0,1")
    refused = subprocess.run(
        [service.python, "-m", "c64ft", "worker", "--gpus", "1,2"],
        env=service.env,
        cwd=service.workspace,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 3, refused.stderr
    assert f"GPU 1 of node '{NODE}' belongs to the live worker" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert list(devices(service).values()) == [["0", "1"]]  # the refused one left no row
