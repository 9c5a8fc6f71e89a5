"""The worker image's recipe, executed without Docker (tests/e2e/image_recipe.py) over a venv
that already has torch, as the base image has: torch stays, and every seed step runs from it."""

import json
import shutil
import subprocess

import pytest

from core.sample_corpus import sample_corpus_dir
from tests.e2e.image_recipe import Recipe
from tests.e2e.service import Service

TINY = "models/tiny-ministral3"


@pytest.mark.timeout(1200)
def test_the_worker_image_keeps_its_torch_and_runs_the_steps(
    tmp_path, tiny_model, redis_client, redis_url
):
    recipe = Recipe("worker.Dockerfile", tmp_path)
    workspace = tmp_path / "workspace"
    shutil.copytree(sample_corpus_dir(), workspace / "c64_docs")
    shutil.copytree(tiny_model, workspace / TINY)
    # The stand-in for the base image's torch is this machine's CPU build; the recipe's RUN
    # lines check that pip left it as it was. llama-cpp-python is installed first from pip's
    # cache (the CPU build .ci/run made): the image compiles it for its GPU, which this machine
    # has not.
    recipe.build(workspace, before=["torch==2.13.0", "llama-cpp-python==0.3.36"])
    modules = ["torch", "transformers", "peft", "trl", "datasketch", "llama_cpp", "gguf"]
    assert recipe.has(*modules) == modules
    assert (recipe.opt / "llama.cpp/convert_hf_to_gguf.py").is_file()  # baked into the image

    env = recipe.env(workspace) | {"C64FT_ALLOWED_BASE_MODELS": json.dumps([TINY])}

    def c64ft_run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [recipe.python, "-m", "c64ft", "run", *args],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    steps = [
        ("gpu_smoke", "--allow-cpu"),
        (
            "build_datasets",
            "--model-path",
            TINY,
            "--block-size",
            "256",
            "--stride",
            "32",
            "--min-chunk-tokens",
            "64",
            "--min-dapt-chunks",
            "20",
            "--allow-ocr",  # the image's OCR is the dataset tests' subject, not this one's
            "false",
            "--excerpt-chars",  # short SFT prompts: the training below is tiny
            "300",
        ),
        (
            "train",
            "--model-path",
            TINY,
            "--phase",
            "sft",
            "--max-steps",
            "2",
            "--allow-cpu",
            "--batch-size",
            "2",
            "--grad-accum",
            "1",
            "--max-length",
            "512",
        ),
    ]
    for step in steps:
        done = c64ft_run(*step)
        assert done.returncode == 0, (step[0], done.stderr[-3000:])
    done = c64ft_run(
        "export", "--model-path", "models/fine-tuned-merged-hf", "--quants", '["Q8_0"]'
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # Two steps do not teach the THINK format: validation runs, reports and says FAIL (exit 1).
    done = c64ft_run(
        "validate_reasoning",
        "--gguf-dir",
        "models/fine-tuned-gguf",
        "--quants",
        '["Q8_0"]',
        "--allow-cpu",
        "--seeds",
        "[11]",
        "--max-new-tokens",
        "16",
        "--output-dir",
        "results/reasoning_validation/image",
    )
    assert done.returncode == 1 and "FAIL" in done.stdout + done.stderr, done.stderr[-3000:]
    report = workspace / "results/reasoning_validation/image/report.json"
    assert json.loads(report.read_text())["verdict"] == "FAIL"

    # The image's CMD: a worker on the gpu queue, here with the API beside it, over Redis.
    service = Service(workspace, redis_url, python=recipe.python)
    try:
        service.start_api()
        service.start_worker("gpu")
        job = service.submit({"kind": "gpu_smoke", "allow_cpu": True})
        assert service.wait(job["id"], timeout=120)["status"] == "succeeded"
        [(queues, stats)] = _ask_workers(redis_url, workspace)
        assert queues == ["gpu"]  # docker-compose.yml's worker-gpu: one job at a time
        assert (stats["pool"]["max-concurrency"], stats["pool"]["max-tasks-per-child"]) == (1, 1)
    finally:
        service.stop()
        print(service.logs())


def _ask_workers(redis_url: str, workspace) -> list[tuple[list[str], dict]]:
    """Each live worker's queues and stats, asked over the broker (Celery's control)."""
    from core.config import Settings
    from worker.celery_app import make_celery

    inspect = make_celery(Settings(broker_url=redis_url, workspace=workspace)).control.inspect(
        timeout=5
    )
    queues, stats = inspect.active_queues() or {}, inspect.stats() or {}
    return [(sorted(q["name"] for q in queues[name]), stats[name]) for name in queues]
