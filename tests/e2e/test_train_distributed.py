"""`gpus: 2` through the service on the CPU: a real uvicorn and a real Celery worker consuming
`gpu,gpu.2` run the job as a torchrun group of two gloo ranks; a rank SIGKILLed makes the job
retry and resume from its checkpoint, and a cancel stops both ranks."""

import os
import re
import signal
from pathlib import Path

import psutil

from tests.conftest import copy_workspace
from tests.core.training.test_train import TINY
from tests.e2e.service import wait_until

SPEC = {**TINY, "phase": "dapt", "gpus": 2, "save_steps": 2, "eval_steps": 2, "max_steps": 10}


def ranks(workspace: Path) -> dict[int, psutil.Process]:
    """The training processes of this test's service, by rank."""
    found = {}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "core.kinds.train.rank" not in (proc.info["cmdline"] or []):
                continue
            env = proc.environ()
        except psutil.Error:
            continue
        if env.get("C64FT_WORKSPACE") == str(workspace) and "RANK" in env:  # not torchrun
            found[int(env["RANK"])] = proc
    return found


def test_a_killed_rank_makes_the_job_retry_from_its_checkpoint(redis_service, sample_workspace):
    service = redis_service
    copy_workspace(sample_workspace, service.workspace)
    service.start_worker("gpu,gpu.2")
    job = service.submit(SPEC)
    checkpoints = f"/jobs/{job['id']}/checkpoints"
    wait_until(lambda: service.http.get(checkpoints).json()["data"], 180, "a first checkpoint")
    group = ranks(service.workspace)
    assert sorted(group) == [0, 1]  # two processes train
    os.kill(group[1].pid, signal.SIGKILL)
    psutil.wait_procs(list(group.values()), timeout=30)  # torchrun stops rank 0 too

    done = service.wait(job["id"], timeout=300)
    assert done["status"] == "succeeded", (done["error"], service.logs())
    assert done["attempt"] == 2
    figures = done["result"]["phases"]["dapt"]
    assert figures["steps"] == figures["max_steps"] == 10
    assert figures["resumed_from"] and "ft-dapt/checkpoint-" in figures["resumed_from"]
    assert done["result"]["processes"] == 2 and done["result"]["effective_batch_size"] == 8
    warnings = [e["message"] for e in service.events(job["id"]) if e["level"] == "warning"]
    # torchrun stops rank 0 once rank 1 is gone, sometimes before rank 0 writes its outcome
    lost = re.compile(r"rank (0, )?1 of 2 died without a word; queued for attempt 2")
    assert any(lost.search(m) for m in warnings), warnings
    metrics = service.http.get(f"/jobs/{job['id']}/metrics").json()["data"]
    steps = [m["step"] for m in metrics if m["loss"] is not None]
    assert set(steps) == set(range(2, 11, 2))  # one rank's points, each step once per attempt
    assert not ranks(service.workspace)


def test_cancel_stops_both_ranks(redis_service, sample_workspace):
    service = redis_service
    copy_workspace(sample_workspace, service.workspace)
    service.start_worker("gpu,gpu.2")
    job = service.submit({**SPEC, "max_steps": 200, "save_steps": 100, "eval_steps": 100})
    wait_until(lambda: (service.job(job["id"])["progress"]["step"] or 0) >= 1, 180, "step 1")
    assert sorted(ranks(service.workspace)) == [0, 1]
    assert service.http.post(f"/jobs/{job['id']}/cancel").status_code in (200, 202)

    done = service.wait(job["id"], timeout=120)
    assert done["status"] == "cancelled", (done["error"], service.logs())
    [ended] = [e for e in service.events(job["id"]) if "processes ended" in e["message"]]
    outcomes = ended["data"]["ranks"]
    assert {o["outcome"] for o in outcomes.values()} == {"cancelled"}
    assert outcomes["0"]["message"] == outcomes["1"]["message"]  # the same step
    saved = service.http.get(f"/jobs/{job['id']}/checkpoints").json()["data"]
    assert len(saved) == 1 and f"step {saved[0]['step']};" in outcomes["0"]["message"]
    assert not ranks(service.workspace)
