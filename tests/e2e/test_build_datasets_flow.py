"""build_datasets through a real uvicorn and Celery worker, on the bundled sample corpus with
the tiny model's tokenizer."""

import json
import shutil
from importlib.resources import files

from core.pipeline.files import SPLITS
from tests.needs import require_ocr

SAMPLE_SPEC = {
    "kind": "build_datasets",
    "model_path": "models/tiny-ministral3",
    "block_size": 256,
    "stride": 32,
    "min_chunk_tokens": 64,
    "min_dapt_chunks": 20,
    "min_sft_examples": 50,
}


def _workspace_with_corpus(service, tiny_model):
    shutil.copytree(files("c64ft") / "sample_corpus", service.workspace / "c64_docs")
    shutil.copytree(tiny_model, service.workspace / "models/tiny-ministral3")


def test_sample_corpus_builds_datasets_that_pass_the_contract(redis_service, tiny_model):
    require_ocr()  # the corpus's image-only page is read by ocrmypdf
    service = redis_service
    _workspace_with_corpus(service, tiny_model)
    service.start_worker("cpu")
    job = service.submit(SAMPLE_SPEC)
    done = service.wait(job["id"], timeout=240)
    assert done["status"] == "succeeded", (done["error"], service.logs())

    report = done["result"]
    on_disk = json.loads((service.workspace / "data/processed/validation_report.json").read_text())
    assert report["ok"] and on_disk["checks"] == report["checks"]
    checks = report["checks"]
    assert checks["ocr_replaced"] == 1  # the corpus's image-only page, read by ocrmypdf
    assert checks["duplicates_removed"] >= 1  # its planted reprint
    assert checks["sft_thinking"]["assistant_with_think_ratio"] == 1.0
    assert report["verdict"] == "pass" and checks["coverage_ratio"] >= 0.80
    for split in SPLITS:
        assert (service.workspace / f"data/processed/dapt/{split}.parquet").is_file()
        assert (service.workspace / f"data/processed/sft/{split}.jsonl").is_file()

    events = service.events(job["id"])
    stages = [e["stage"] for e in events]
    for stage in (
        "manifest",
        "extract",
        "normalize",
        "dedup",
        "build_dapt",
        "build_sft",
        "validate",
    ):
        assert any(e["stage"] == stage and e["data"] for e in events), stage
    assert stages.index("manifest") < stages.index("validate")
    assert done["progress"]["fraction"] == 1.0


def test_contract_failure_is_a_failed_job_with_the_report(redis_service, tiny_model):
    service = redis_service
    _workspace_with_corpus(service, tiny_model)
    service.start_worker("cpu")
    job = service.submit({**SAMPLE_SPEC, "min_sft_examples": 100_000})
    done = service.wait(job["id"], timeout=240)
    assert done["status"] == "failed"
    assert done["error"]["type"] == "data_contract_failed"
    assert "min_sft_examples 100000" in done["error"]["message"]
    assert done["error"]["stage"] == "validate" and done["result"]["ok"] is False
    assert (service.workspace / "data/processed/validation_report.md").is_file()
