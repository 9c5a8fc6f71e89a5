"""validate_reasoning and workflow through a real uvicorn, Celery workers and Redis."""

import csv
import json

from core.sample_corpus import sample_corpus_dir
from tests.conftest import copy_workspace
from tests.e2e.service import wait_until

MODEL = "models/tiny-ministral3"
DATASETS = {
    "model_path": MODEL,
    "block_size": 256,
    "stride": 32,
    "min_chunk_tokens": 64,
    "min_dapt_chunks": 20,
}


def test_validation_of_the_untrained_tiny_model_fails_with_every_file_written(
    redis_service, tiny_model
):
    service = redis_service
    copy_workspace(tiny_model, service.workspace / MODEL)
    service.start_worker("gpu")
    job = service.submit(
        {
            "kind": "validate_reasoning",
            "runtime": "transformers",
            "model_path": MODEL,
            "allow_cpu": True,
        }
    )
    done = service.wait(job["id"], timeout=180)
    assert done["status"] == "failed", service.logs()
    assert done["error"]["type"] == "reasoning_contract_failed"
    assert "hf: single_think_tag_rate 0.0 < 0.95" in done["error"]["message"]
    report = done["result"]
    assert report["verdict"] == "FAIL" and report["output_dir"] == (
        f"results/reasoning_validation/{job['id']}"
    )
    files = report["files"]
    assert json.loads((service.workspace / files["report"]).read_text()) == report
    assert len(list(csv.DictReader((service.workspace / files["metrics"]).open()))) == 6
    assert len(list(csv.DictReader((service.workspace / files["runs"]).open()))) == 6
    assert "FAIL" in (service.workspace / files["summary"]).read_text()
    assert len(list((service.workspace / files["raw"]).glob("*.json"))) == 6
    stages = [e["stage"] for e in service.events(job["id"])]
    assert stages.index("load") < stages.index("generate") < stages.index("report")


def steps(service, workflow):
    return [service.job(step["job_id"]) for step in workflow["result"]["steps"]]


def test_a_workflow_whose_dataset_step_fails_stops_there(redis_service, tiny_model):
    service = redis_service
    copy_workspace(tiny_model, service.workspace / MODEL)
    service.start_worker("gpu")
    service.start_worker("cpu")
    copy_workspace(sample_corpus_dir(), service.workspace / "c64_docs")
    # strict data contract + an unreachable example count: the build runs, then fails its check
    workflow = service.submit(
        {
            "kind": "workflow",
            "gpu_smoke": {"allow_cpu": True, "matrix_size": 64},
            "build_datasets": {**DATASETS, "min_sft_examples": 1_000_000},
            "train": {"model_path": MODEL, "allow_cpu": True, "max_steps": 2},
        }
    )
    done = service.wait(workflow["id"], timeout=120)
    assert done["status"] == "failed", service.logs()
    assert done["error"]["stage"] == "build_datasets"
    smoke, build, train, export, validate = steps(service, done)
    assert (smoke["status"], build["status"]) == ("succeeded", "failed")
    assert done["error"]["type"] == build["error"]["type"]
    for child in (train, export, validate):
        assert child["status"] == "cancelled" and child["started_at"] is None
        assert child["error"]["type"] == "workflow_stopped"
        assert child["error"]["message"] == f"not run: step build_datasets ({build['id']}) failed"
    assert [s["status"] for s in done["result"]["steps"]] == [
        "succeeded",
        "failed",
        "cancelled",
        "cancelled",
        "cancelled",
    ]


def test_cancelling_a_workflow_cancels_its_running_step(redis_service):
    service = redis_service
    service.start_worker("gpu")
    (service.workspace / "models/later").mkdir(parents=True)
    (service.workspace / "models/later/config.json").write_text("{}")
    workflow = service.submit(
        {
            "kind": "workflow",
            "steps": ["gpu_smoke", "validate_reasoning"],
            "gpu_smoke": {"allow_cpu": True, "matrix_size": 64, "burn_in_s": 120},
            "validate_reasoning": {"runtime": "transformers", "model_path": "models/later"},
        }
    )
    wait_until(
        lambda: steps(service, service.job(workflow["id"]))[0]["status"] == "running",
        60,
        "the first step to run",
    )
    wait_until(
        lambda: "gpu_smoke" in (service.job(workflow["id"])["stage"] or ""),
        30,
        "the workflow to show its step's stage",
    )
    answer = service.http.post(f"/jobs/{workflow['id']}/cancel")
    assert answer.status_code == 200 and answer.json()["status"] == "cancelling"
    done = service.wait(workflow["id"], timeout=60)
    assert done["status"] == "cancelled", service.logs()
    smoke, validate = steps(service, done)
    assert smoke["status"] == "cancelled" and smoke["started_at"] is not None
    assert validate["status"] == "cancelled" and validate["started_at"] is None
