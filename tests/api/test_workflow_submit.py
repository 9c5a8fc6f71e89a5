"""Submitting validate_reasoning and workflow: 422 naming the field, dry runs per step, and a
workflow that queues its first step and passes a cancel on."""

import json
import shutil

from tests.conftest import SESSION_WORKSPACE


def detail(answer):
    assert answer.status_code == 422, answer.text
    return answer.json()["detail"]


def test_validation_of_a_missing_model_is_refused(client):
    body = {"kind": "validate_reasoning", "model_path": "models/nowhere"}
    found = detail(client.post("/jobs", json={**body, "runtime": "transformers"}))
    assert found[0]["loc"] == ["body", "model_path"]
    assert "models/nowhere has no config.json" in found[0]["msg"]
    found = detail(client.post("/jobs", json=body))  # llama_cpp: the export of that model
    assert found[0]["loc"] == ["body", "gguf_dir"]
    assert "models/nowhere-gguf holds no export (no readable export.json)" in found[0]["msg"]


def test_validation_of_a_quant_the_export_did_not_write_is_refused(client):
    folder = SESSION_WORKSPACE / "models/partial-gguf"
    folder.mkdir(parents=True, exist_ok=True)
    files = [{"quant": "Q4_K_M", "file": "partial-Q4_K_M.gguf"}]
    (folder / "export.json").write_text(json.dumps({"files": files}))
    body = {"kind": "validate_reasoning", "gguf_dir": "models/partial-gguf"}
    found = detail(client.post("/jobs", json=body))
    assert found[0]["loc"] == ["body", "quants"]
    assert "has no Q8_0, F16 file (exported: ['Q4_K_M'])" in found[0]["msg"]


def test_validation_spec_errors_name_the_field(client):
    body = {"kind": "validate_reasoning", "thresholds": {"single_balanced_tag_rate": 2}}
    assert detail(client.post("/jobs", json=body))[0]["loc"][-2:] == [
        "thresholds",
        "single_balanced_tag_rate",
    ]
    body = {"kind": "validate_reasoning", "decoding": "sample"}
    assert detail(client.post("/jobs", json=body))[0]["loc"][-1] == "decoding"


def test_a_workflow_step_problem_names_the_step_and_field(client):
    body = {"kind": "workflow", "train": {"model_path": "models/other"}}
    found = detail(client.post("/jobs", json=body))
    assert ["body", "train", "model_path"] in [d["loc"] for d in found]
    assert any("base model policy" in d["msg"] for d in found)
    found = detail(
        client.post("/jobs", json={"kind": "workflow", "steps": ["train"], "gpu_smoke": {}})
    )
    assert "gpu_smoke given but not in steps" in found[0]["msg"]
    found = detail(client.post("/jobs", json={"kind": "workflow", "train": {"epoch": 1}}))
    assert found[0]["loc"][-2:] == ["train", "epoch"]


def test_the_model_a_train_step_exports_is_not_required_at_submission(
    client, settings_env, sample_workspace
):
    for folder in ("models/tiny-ministral3", "data/processed"):
        shutil.copytree(sample_workspace / folder, SESSION_WORKSPACE / folder, dirs_exist_ok=True)
    settings_env(allowed_base_models=json.dumps(["models/tiny-ministral3", "models/broken"]))
    train = {"model_path": "models/tiny-ministral3", "output_dir": "models/wf"}
    steps = ["train", "export", "validate_reasoning"]
    body = {"kind": "workflow", "steps": steps, "train": train}
    dry = client.post("/jobs?dry_run=true", json=body)
    assert dry.status_code == 200, dry.text
    assert dry.json()["queue"] == "workflow"
    assert dry.json()["spec"]["export"]["model_path"] == "models/wf-merged-hf"
    assert dry.json()["spec"]["validate_reasoning"]["gguf_dir"] == "models/wf-gguf"
    names = [c["name"] for c in dry.json()["checks"]]
    assert {"train.workers", "export.workers", "validate_reasoning.workers"} <= set(names)
    assert not [c for c in dry.json()["checks"] if c["status"] == "fail"]


def test_a_workflow_queues_its_first_step_and_a_cancel_reaches_it(client):
    (SESSION_WORKSPACE / "models/fake").mkdir(parents=True, exist_ok=True)
    (SESSION_WORKSPACE / "models/fake/config.json").write_text("{}")
    body = {
        "kind": "workflow",
        "steps": ["gpu_smoke", "validate_reasoning"],
        "gpu_smoke": {"allow_cpu": True},
        "validate_reasoning": {"runtime": "transformers", "model_path": "models/fake"},
        "metadata": {"who": "test"},
    }
    answer = client.post("/jobs", json=body)
    assert answer.status_code == 201, answer.text
    workflow = answer.json()
    assert workflow["status"] == "running" and workflow["stage"] == "gpu_smoke"
    first = workflow["result"]["steps"][0]
    assert (first["step"], first["status"]) == ("gpu_smoke", "queued")
    child = client.get(f"/jobs/{first['job_id']}").json()
    assert child["parent_id"] == workflow["id"] and child["metadata"] == {"who": "test"}

    cancelled = client.post(f"/jobs/{workflow['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert [s["status"] for s in cancelled["result"]["steps"]] == ["cancelled", "cancelled"]
    assert client.get(f"/jobs/{first['job_id']}").json()["status"] == "cancelled"


def test_a_dry_run_reports_an_unreadable_tokenizer_as_a_failed_check(client, settings_env):
    settings_env(allowed_base_models=json.dumps(["models/broken"]))
    (SESSION_WORKSPACE / "models/broken").mkdir(parents=True, exist_ok=True)
    (SESSION_WORKSPACE / "models/broken/config.json").write_text("{}")
    (SESSION_WORKSPACE / "models/broken/tokenizer.json").write_text("{}")
    dry = client.post("/jobs?dry_run=true", json={"kind": "train", "model_path": "models/broken"})
    assert dry.status_code == 200 and dry.json()["ok"] is False
    plan = next(c for c in dry.json()["checks"] if c["name"] == "plan")
    assert "tokenizer.json cannot be read" in plan["message"]
