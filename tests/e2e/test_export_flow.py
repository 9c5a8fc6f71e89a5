"""export, then validation under llama.cpp, through a real uvicorn, Celery workers and Redis;
and a worker SIGKILLed mid-quantization leaves nothing a validation could read."""

import csv
import subprocess
import time

import psutil

from tests.conftest import copy_workspace
from tests.e2e.service import wait_until

MODEL = "models/tiny-ministral3"
GGUF = "models/tiny-ministral3-gguf"


def test_the_untrained_model_exports_and_fails_validation_under_llama_cpp(
    redis_service, tiny_model
):
    service = redis_service
    copy_workspace(tiny_model, service.workspace / MODEL)
    service.start_worker("cpu")
    service.start_worker("gpu")
    export = service.submit(
        {"kind": "export", "model_path": MODEL, "quants": ["F16", "Q8_0", "Q4_K_M"]}
    )
    done = service.wait(export["id"], timeout=300)
    assert done["status"] == "succeeded", (done["error"], service.logs())
    assert done["result"]["output_dir"] == GGUF
    folder = service.workspace / GGUF
    assert (
        subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=folder).returncode
        == 0
    )
    sizes = [
        e["data"]["bytes"] for e in service.events(export["id"]) if "bytes" in (e["data"] or {})
    ]
    assert len(sizes) == 4 and all(size > 0 for size in sizes)  # the conversion, then each quant

    validation = service.submit(
        {"kind": "validate_reasoning", "model_path": MODEL, "allow_cpu": True, "max_new_tokens": 16}
    )
    done = service.wait(validation["id"], timeout=300)
    assert done["status"] == "failed", service.logs()
    assert done["error"]["type"] == "reasoning_contract_failed"
    report = done["result"]
    assert report["verdict"] == "FAIL" and list(report["quants"]) == ["Q8_0", "F16"]
    assert report["model"]["gguf_dir"] == GGUF
    runs = list(csv.DictReader((service.workspace / report["files"]["runs"]).open()))
    assert [r["quant"] for r in runs] == ["Q8_0"] * 6 + ["F16"] * 6
    for name in ("metrics", "summary", "report"):
        assert (service.workspace / report["files"][name]).is_file()
    assert len(list((service.workspace / report["files"]["raw"]).glob("*.json"))) == 12


def quantizing() -> bool:
    """Whether a quantization child process of an export runs now."""
    for process in psutil.process_iter(["cmdline"]):
        line = process.info["cmdline"] or []
        if "core.gguf.tool" in line and "quantize" in line:
            return True
    return False


def test_a_worker_killed_mid_quantization_leaves_no_folder_a_validation_reads(
    redis_service, tiny_model
):
    service = redis_service
    copy_workspace(tiny_model, service.workspace / MODEL)
    worker = service.start_worker("cpu")
    quants = ["F16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "Q4_0"]
    job = service.submit({"kind": "export", "model_path": MODEL, "quants": quants})
    wait_until(quantizing, 180, "a quantization to start", interval=0.01)
    service.kill_worker(worker)  # the worker, its pool process and the quantization
    time.sleep(0.5)
    assert not quantizing()
    models = service.workspace / "models"
    assert not (models / "tiny-ministral3-gguf").exists()
    [staging] = models.glob(".tiny-ministral3-gguf.*.tmp")  # what the kill cut short, unpublished
    answer = service.http.post(
        "/jobs", json={"kind": "validate_reasoning", "gguf_dir": GGUF, "allow_cpu": True}
    )
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "gguf_dir"]

    service.start_worker("cpu")  # the reaper finds the lost job and runs it again
    done = service.wait(job["id"], timeout=300)
    assert done["status"] == "succeeded", (done["error"], service.logs())
    assert done["attempt"] == 2 and [f["quant"] for f in done["result"]["files"]] == quants
    assert not staging.exists() and not list(models.glob(".*.tmp"))
