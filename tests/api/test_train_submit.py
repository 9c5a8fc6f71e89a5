"""Submitting train: the base-model policy and a missing model folder are 422 naming the field."""

import json
import math
import shutil

import pyarrow.parquet as pq
from pydantic import TypeAdapter

from core.kinds import JobSpec
from core.kinds.train.spec import TrainSpec
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
    answer = client.post(
        "/jobs", json={"kind": "train", "model_path": "models/tiny", "output_dir": "models/ft"}
    )
    assert answer.status_code == 201, answer.text
    spec = answer.json()["spec"]
    assert spec["dapt_output_dir"] == "models/ft-dapt" and spec["sft_output_dir"] == "models/ft"
    assert spec["phase"] == "both" and spec["lora_scope"] == "language_qkvo"
    client.post(f"/jobs/{answer.json()['id']}/cancel")


def test_train_field_errors_name_the_field(client):
    for body, field in [
        ({"phase": "pretrain"}, "phase"),
        ({"lora_scope": "vision"}, "lora_scope"),
        ({"from_checkpoint": "job_x"}, "from_checkpoint"),
        ({"batch_size": 0}, "batch_size"),
        ({"report_to": "comet"}, "report_to"),
        ({"report_to": ["tensorboard", "none"]}, "report_to"),
        ({"gpus": 9}, "gpus"),
        ({"distributed": "fsdp"}, "distributed"),  # fsdp shards a full fine-tune, not LoRA
    ]:
        answer = client.post("/jobs", json={"kind": "train", **body})
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"][-1] == field


def test_dry_run_plans_steps_and_tokens_without_loading_weights(
    client, settings_env, sample_workspace
):
    for folder in ("models/tiny-ministral3", "data/processed"):
        shutil.copytree(sample_workspace / folder, SESSION_WORKSPACE / folder, dirs_exist_ok=True)
    settings_env(allowed_base_models=json.dumps(["models/tiny-ministral3"]))
    body = {
        "kind": "train",
        "model_path": "models/tiny-ministral3",
        "epochs": 1,
        "batch_size": 4,
        "grad_accum": 2,
        "max_length": 64,
    }
    dry = client.post("/jobs?dry_run=true", json=body).json()
    assert dry["ok"] is True
    plan = next(c for c in dry["checks"] if c["name"] == "plan")["data"]
    dapt_rows = pq.read_table(SESSION_WORKSPACE / "data/processed/dapt/train.parquet").num_rows
    dapt = plan["phases"]["dapt"]
    assert dapt["splits"]["train"]["rows"] == dapt_rows
    assert dapt["optimizer_steps"] == math.ceil(math.ceil(dapt_rows / 4) / 2)  # as HF counts
    assert dapt["splits"]["train"]["tokens"] <= 64 * dapt_rows  # truncated at max_length
    assert plan["phases"]["sft"]["splits"]["validation"]["rows"] > 0
    assert "self_attn" in plan["lora_targets"] and "vision" not in plan["lora_targets"]
    assert plan["effective_batch_size"] == 8 and plan["processes"] == 1

    two = client.post("/jobs?dry_run=true", json={**body, "gpus": 2}).json()
    plan = next(c for c in two["checks"] if c["name"] == "plan")["data"]
    assert plan["effective_batch_size"] == 16 and plan["processes"] == 2
    assert plan["phases"]["dapt"]["optimizer_steps"] == math.ceil(math.ceil(dapt_rows / 8) / 2)

    missing = client.post("/jobs?dry_run=true", json={**body, "sft_dir": "data/none"}).json()
    assert missing["ok"] is False
    assert "data/none/train.jsonl is missing" in next(
        c["message"] for c in missing["checks"] if c["name"] == "plan"
    )


# The original workflow's train defaults: the resolved spec of a bare `{"kind": "train"}`.
ORIGINAL_DEFAULTS = {
    "kind": "train",
    "phase": "both",
    "model_path": "models/Ministral-3-8B-Thinking",
    "dapt_dir": "data/processed/dapt",
    "sft_dir": "data/processed/sft",
    "output_dir": "models/fine-tuned",
    "dapt_output_dir": "models/fine-tuned-dapt",
    "sft_output_dir": "models/fine-tuned",
    "precision": "bf16",
    "max_length": 2048,
    "batch_size": 2,
    "grad_accum": 16,
    "learning_rate": 2e-05,
    "epochs": 3.0,
    "max_steps": -1,
    "warmup_steps": 100,
    "logging_steps": 50,
    "save_steps": 500,
    "eval_steps": 250,
    "eval_strategy": "steps",
    "save_total_limit": 2,
    "load_best_model_at_end": True,
    "seed": 42,
    "optim": "adamw_torch",
    "gradient_checkpointing": False,
    "use_lora": True,
    "lora_r": 16,
    "lora_alpha": 32,
    "lora_dropout": 0.05,
    "lora_scope": "language_qkvo",
    "assistant_only_loss": True,
    "strict_assistant_only_loss": True,
    "chat_template_path": None,
    "packing": False,
    "use_liger_kernel": False,
    "torch_compile": False,
    "attn_implementation": "sdpa",
    "allow_cpu": False,
    "gpus": 1,
    "distributed": "ddp",
    "resume_from_checkpoint": "auto",
    "from_checkpoint": None,
    "merge_adapter": True,
    "report_to": "none",
}


def test_a_bare_train_spec_resolves_to_the_original_workflows_defaults(client):
    assert TypeAdapter(JobSpec).validate_python({"kind": "train"}).resolved() == ORIGINAL_DEFAULTS
    dry = client.post("/jobs?dry_run=true", json={"kind": "train"})
    assert dry.status_code == 200 and dry.json()["spec"] == ORIGINAL_DEFAULTS
    merged = TrainSpec.model_validate({"kind": "train"}).merged_dir()
    assert merged == "models/fine-tuned-merged-hf"  # the original's merged model folder


def test_best_model_settings_the_trainer_refuses_are_422_naming_the_field(client):
    for body, field, why in [
        ({"save_steps": 100}, "save_steps", "round multiple of eval_steps (250)"),
        ({"eval_strategy": "no", "load_best_model_at_end": True}, "load_best_model_at_end", "'no'"),
        (
            {"eval_strategy": "epoch", "load_best_model_at_end": True},
            "load_best_model_at_end",
            "'epoch'",
        ),
        ({"save_total_limit": 1}, "save_total_limit", "at least 2"),  # the best and the last
        ({"save_total_limit": 0}, "save_total_limit", "greater than or equal to 1"),
    ]:
        answer = client.post("/jobs?dry_run=true", json={"kind": "train", **body})
        assert answer.status_code == 422, body
        detail = answer.json()["detail"][0]
        assert detail["loc"] == ["body", "train", field] and why in detail["msg"], detail


def test_without_evaluation_the_default_best_model_turns_off(client):
    for body, best in [
        ({"eval_strategy": "no"}, False),
        ({"eval_strategy": "epoch"}, False),
        ({"save_steps": 100, "load_best_model_at_end": False}, False),
        ({"save_steps": 750, "save_total_limit": None}, True),
    ]:
        answer = client.post("/jobs?dry_run=true", json={"kind": "train", **body})
        assert answer.status_code == 200, (body, answer.text)
        spec = answer.json()["spec"]
        assert spec["load_best_model_at_end"] is best
        assert TrainSpec.model_validate(spec).resolved() == spec  # the stored spec validates again


def test_dry_run_says_whether_the_trackers_are_installed(client):
    body = {"kind": "train", "report_to": ["tensorboard", "mlflow"]}
    checks = client.post("/jobs?dry_run=true", json=body).json()["checks"]
    [check] = [c for c in checks if c["name"] == "report_to"]
    assert check["status"] == "pass"  # the test extras install both
    assert check["message"] == "report_to tensorboard, mlflow: installed here"
