"""A train worker SIGKILLed while it writes a checkpoint: the retry resumes from the one before.

The window is made reliable without a hook in the training code: the test creates the next
checkpoint's folder with a FIFO where the Trainer will write `optimizer.pt`, so the save blocks
after the weights, exactly as a slow disk would hold it, until the worker is killed.
"""

import os
import stat

from tests.conftest import copy_workspace
from tests.e2e.service import wait_until
from tests.e2e.test_train_flow import TINY

SPEC = {**TINY, "phase": "dapt", "max_steps": 15, "save_steps": 5, "eval_steps": 5}


def test_a_worker_killed_mid_checkpoint_resumes_from_the_one_before(
    redis_service, sample_workspace
):
    service = redis_service
    copy_workspace(sample_workspace, service.workspace)
    worker = service.start_worker("gpu")
    job = service.submit(SPEC)
    checkpoints = f"/jobs/{job['id']}/checkpoints"
    wait_until(lambda: service.http.get(checkpoints).json()["data"], 180, "checkpoint-5")
    folder = service.workspace / "models/ft-dapt/checkpoint-10"
    folder.mkdir()  # fails if training already got there: the window was missed
    os.mkfifo(folder / "optimizer.pt")  # opening it for writing blocks: the save hangs here
    wait_until(lambda: (folder / "adapter_model.safetensors").is_file(), 60, "the save to start")
    service.kill_worker(worker)
    assert not (folder / "trainer_state.json").exists()

    service.start_worker("gpu")
    done = service.wait(job["id"], timeout=300)
    assert done["status"] == "succeeded", (done["error"], service.logs())
    assert done["attempt"] == 2
    figures = done["result"]["phases"]["dapt"]
    assert figures["steps"] == figures["max_steps"] == 15
    assert figures["resumed_from"].endswith("ft-dapt/checkpoint-5")
    [aside] = (service.workspace / "models/ft-dapt").glob(".incomplete-checkpoint-10-*")
    assert stat.S_ISFIFO((aside / "optimizer.pt").stat().st_mode)  # the one cut short, kept
    assert (folder / "trainer_state.json").is_file()  # checkpoint-10 written again, whole
    warnings = [e["message"] for e in service.events(job["id"]) if e["level"] == "warning"]
    assert any("checkpoint-10 is incomplete" in m for m in warnings), warnings
    saved = sorted(c["step"] for c in service.http.get(checkpoints).json()["data"])
    assert saved == [5, 10, 15]
    metrics = service.http.get(f"/jobs/{job['id']}/metrics").json()["data"]
    assert {m["step"] for m in metrics if m["loss"] is not None} == set(range(2, 16, 2))
