"""The command line against real processes: the guide's training command trains; watch, jobs,
logs, cancel, checkpoints and dry runs against a real service (uvicorn + Celery worker)."""

import json
import os
import shutil

import pytest

from tests.c64ft.test_kind_args import GUIDE_FLAGS
from tests.conftest import copy_workspace
from tests.e2e.service import FAST_CLOCKS
from tests.e2e.test_cli import cli

QUICK = ["--max-length", "512", "--batch-size", "1", "--grad-accum", "1", "--logging-steps", "1"]
QUICK += ["--save-steps", "1", "--eval-steps", "1", "--warmup-steps", "0"]


def test_the_guides_training_command_trains_on_the_cpu(sample_workspace, tmp_path):
    """The guide's flags verbatim, with the tiny model at the guide's model path."""
    workspace = copy_workspace(sample_workspace, tmp_path / "ws")
    shutil.copytree(
        workspace / "models/tiny-ministral3", workspace / "models/Ministral-3-8B-Thinking"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")}
    env |= {
        "C64FT_WORKSPACE": str(workspace),
        "C64FT_ALLOWED_BASE_MODELS": '["models/Ministral-3-8B-Thinking"]',
    }
    args = ["run", "train", *GUIDE_FLAGS, "--allow-cpu", "--max-steps", "2", *QUICK]
    done = cli(*args, env=env, cwd=workspace, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "mistral3_chat_template_assistant_mask.jinja" in done.stderr  # the notice
    assert (workspace / "models/fine-tuned-dapt/adapter_model.safetensors").is_file()
    assert (workspace / "models/fine-tuned/adapter_model.safetensors").is_file()
    assert json.loads(done.stdout)  # the result


@pytest.fixture
def trained_service(sample_workspace, tmp_path):
    """A service with a worker, on a copy of the sample workspace (datasets built)."""
    from tests.e2e.conftest import _service

    copy_workspace(sample_workspace, tmp_path)
    service_gen = _service(tmp_path, "")
    service = next(service_gen)
    service.start_worker()
    yield service
    next(service_gen, None)


def _train(*extra):
    return [
        "submit",
        "train",
        "--model-path",
        "models/tiny-ministral3",
        "--phase",
        "sft",
        "--allow-cpu",
        "--no-use-lora",
        *QUICK,
        *extra,
    ]


def test_watch_jobs_logs_checkpoints_and_cancel(trained_service):
    api = ["--api", trained_service.url]
    env = {**os.environ, **FAST_CLOCKS}
    job = json.loads(cli(*_train("--max-steps", "3"), *api, env=env).stdout)
    watched = cli("watch", job["id"], "--every", "1", *api, timeout=600)
    assert watched.returncode == 0, watched.stderr
    assert "step " in watched.stderr and "/3" in watched.stderr and "loss " in watched.stderr
    assert f"{job['id']} succeeded" in watched.stderr

    listed = cli("jobs", "--kind", "train", "--status", "succeeded", *api)
    assert listed.returncode == 0 and listed.stdout.split()[:6] == [
        "ID",
        "KIND",
        "STATUS",
        "STAGE",
        "PROGRESS",
        "AGE",
    ]
    assert job["id"] in listed.stdout and "100%" in listed.stdout
    assert cli("jobs", "--status", "failed", *api).stdout.count("\n") == 1  # the header only

    logs = cli("logs", job["id"], *api)
    assert logs.returncode == 0 and "claimed by" in logs.stdout
    saved = cli("checkpoints", job["id"], *api)
    assert saved.returncode == 0 and f"{job['id']}:3" in saved.stdout

    finished = cli("cancel", job["id"], *api)
    assert finished.returncode == 2 and "already finished" in finished.stderr

    long = json.loads(cli(*_train("--max-steps", "500"), *api).stdout)
    cancelled = cli("cancel", long["id"], *api)
    assert cancelled.returncode == 0 and long["id"] in cancelled.stdout
    watched = cli("watch", long["id"], *api, timeout=120)
    assert watched.returncode == 1 and "cancelled" in watched.stderr
    followed = cli("logs", long["id"], "--follow", *api, timeout=60)
    assert followed.returncode == 0 and "cancel" in followed.stdout


def test_watch_exits_1_on_a_failed_job_and_dry_run_reports_failed_checks(trained_service):
    api = ["--api", trained_service.url]
    job = json.loads(cli("submit", "gpu_smoke", "--matrix-size", "64", *api).stdout)
    watched = cli("watch", job["id"], *api)
    assert (
        watched.returncode == 1
        and "failed" in watched.stderr
        and "no_gpu" in cli("status", job["id"], *api).stdout
    )
    refused = cli("submit", "train", "--model-path", "models/absent", "--dry-run", *api)
    assert refused.returncode == 1, refused.stderr
    assert json.loads(refused.stdout)["ok"] is False
    assert "check(s) failed" in refused.stderr and "FAIL model_path" in refused.stderr
    passed = cli("submit", "gpu_smoke", "--allow-cpu", "--dry-run", *api)
    assert passed.returncode == 0 and json.loads(passed.stdout)["ok"] is True
