"""train through a real uvicorn and Celery worker: the tiny model on the sample datasets."""

from transformers import AutoTokenizer, Mistral3ForConditionalGeneration

from tests.conftest import copy_workspace
from tests.core.training.test_train import TINY  # the same tiny run, through the service
from tests.e2e.service import wait_until


def test_both_phases_with_lora_end_to_end(redis_service, sample_workspace):
    service = redis_service
    copy_workspace(sample_workspace, service.workspace)
    service.start_worker("gpu")
    job = service.submit(TINY)
    done = service.wait(job["id"], timeout=240)
    assert done["status"] == "succeeded", (done["error"], service.logs())
    result = done["result"]
    assert result["phases"]["dapt"]["steps"] == result["phases"]["sft"]["steps"] == 6
    merged = service.workspace / result["artifacts"]["merged_model"]
    model = Mistral3ForConditionalGeneration.from_pretrained(merged)
    tokenizer = AutoTokenizer.from_pretrained(merged)
    ids = tokenizer("The SID chip", return_tensors="pt").input_ids
    assert model.generate(ids, max_new_tokens=3, do_sample=False).shape[1] > ids.shape[1]

    metrics = service.http.get(f"/jobs/{job['id']}/metrics").json()["data"]
    losses = [(m["phase"], m["step"]) for m in metrics if m["loss"] is not None]
    assert losses == [("dapt", 2), ("dapt", 4), ("dapt", 6), ("sft", 2), ("sft", 4), ("sft", 6)]
    # The job's own metrics.csv is the API's, byte for byte: both are the job's rows.
    assert result["metrics_csv"] == "models/ft/metrics.csv"
    download = service.http.get(f"/jobs/{job['id']}/metrics.csv")
    assert download.headers["content-type"].startswith("text/csv")
    assert (service.workspace / result["metrics_csv"]).read_text() == download.text
    assert len(download.text.splitlines()) == len(metrics) + 1  # the header, a line per point
    checkpoints = service.http.get(f"/jobs/{job['id']}/checkpoints").json()["data"]
    found = sorted((c["phase"], c["step"]) for c in checkpoints)
    assert found == [("dapt", 3), ("dapt", 6), ("sft", 3), ("sft", 6)]
    assert all(c["metrics"] and "loss" in c["metrics"] for c in checkpoints)
    stages = [e["stage"] for e in service.events(job["id"])]
    assert stages.index("dapt") < stages.index("sft") < stages.index("merge")

    # A new job can start from one of this job's checkpoints.
    again = service.submit(
        {
            **TINY,
            "phase": "dapt",
            "output_dir": "models/ft2",
            "from_checkpoint": f"{job['id']}:3",
            "max_steps": 4,
        }
    )
    resumed = service.wait(again["id"], timeout=120)
    assert resumed["status"] == "succeeded", resumed["error"]
    assert resumed["result"]["phases"]["dapt"]["resumed_from"].endswith("ft-dapt/checkpoint-3")


def test_cancel_mid_run_saves_a_checkpoint(redis_service, sample_workspace):
    service = redis_service
    copy_workspace(sample_workspace, service.workspace)
    service.start_worker("gpu")
    job = service.submit(
        {**TINY, "phase": "dapt", "max_steps": 5000, "save_steps": 10_000, "eval_steps": 10_000}
    )
    wait_until(
        lambda: (service.job(job["id"])["progress"]["step"] or 0) >= 2,
        120,
        "training to make progress",
    )
    assert service.http.post(f"/jobs/{job['id']}/cancel").status_code == 200
    done = service.wait(job["id"], timeout=60)
    assert done["status"] == "cancelled", service.logs()
    checkpoints = service.http.get(f"/jobs/{job['id']}/checkpoints").json()["data"]
    assert len(checkpoints) == 1 and 0 < checkpoints[0]["step"] < 5000
    assert (service.workspace / checkpoints[0]["path"]).is_dir()
    # the points up to the cancel are in the job's metrics file, as the API has them
    download = service.http.get(f"/jobs/{job['id']}/metrics.csv").text
    assert (service.workspace / "models/ft-dapt/metrics.csv").read_text() == download
