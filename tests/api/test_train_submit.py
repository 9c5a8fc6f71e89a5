"""Submitting train: the base-model policy and a missing model folder are 422 naming the field."""

import json

from tests.conftest import SESSION_WORKSPACE


def test_a_base_model_off_the_allow_list_is_refused_with_the_allowed_path(client):
    answer = client.post("/jobs", json={"kind": "train", "model_path": "models/other"})
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == ["body", "model_path"]
    assert "base model policy" in detail["msg"]
    assert "models/Ministral-3-8B-Thinking" in detail["msg"]


def test_a_missing_model_folder_is_refused(client):
    answer = client.post("/jobs", json={"kind": "train"})
    assert answer.status_code == 422
    assert "no config.json" in answer.json()["detail"][0]["msg"]


def test_an_allowed_model_is_queued_on_the_gpu_queue_with_resolved_outputs(client, settings_env):
    settings_env(allowed_base_models=json.dumps(["models/tiny"]))
    (SESSION_WORKSPACE / "models/tiny").mkdir(parents=True, exist_ok=True)
    (SESSION_WORKSPACE / "models/tiny/config.json").write_text("{}")
    answer = client.post("/jobs", json={"kind": "train", "model_path": "models/tiny",
                                        "output_dir": "models/ft"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    spec = answer.json()["spec"]
    assert spec["dapt_output_dir"] == "models/ft-dapt" and spec["sft_output_dir"] == "models/ft"
    assert spec["phase"] == "both" and spec["lora_scope"] == "language_qkvo"
    client.post(f"/jobs/{answer.json()['id']}/cancel")


def test_train_field_errors_name_the_field(client):
    for body, field in [({"phase": "pretrain"}, "phase"), ({"lora_scope": "vision"}, "lora_scope"),
                        ({"from_checkpoint": "job_x"}, "from_checkpoint"),
                        ({"batch_size": 0}, "batch_size")]:  # fmt: skip
        answer = client.post("/jobs", json={"kind": "train", **body})
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"][-1] == field
