"""The dry run of a train spec predicts its GPU memory and time: against the GPUs a registered
live worker of the job's queue declared, a spec that fits passes with the largest batch size, one
that does not fails with the fix, and a throughput row gives the time."""

import json
import shutil

import pytest
from transformers import Ministral3Config

from core.jobs.workers import register_worker, unregister_worker
from core.kinds.train.estimate import (
    TEXT_DEFAULTS,
    estimate_memory,
    largest_batch_size,
    read_shape,
)
from core.kinds.train.spec import TrainSpec
from tests.conftest import SESSION_WORKSPACE

MODEL = "models/ministral3-8b-shaped"
MIB = 1 << 20
H200 = {"id": "0", "name": "NVIDIA H200", "memory_bytes": 143_771 * MIB}
H100 = {"id": "0", "name": "NVIDIA H100 80GB HBM3", "memory_bytes": 81_559 * MIB}
# Ministral-3-8B's text shapes (its config.json), on the tiny model's tokenizer: the dry run
# reads the config and the tokenizer, never the weights.
TEXT_8B = {key: getattr(Ministral3Config(), key) for key in TEXT_DEFAULTS}
BODY = {"kind": "train", "model_path": MODEL, "epochs": 1, "max_length": 512, "batch_size": 1}


@pytest.fixture(scope="module")
def model_8b(sample_workspace):
    """The tiny model's folder with the 8B config, and the sample datasets, in the workspace."""
    shutil.copytree(
        sample_workspace / "data/processed",
        SESSION_WORKSPACE / "data/processed",
        dirs_exist_ok=True,
    )
    folder = SESSION_WORKSPACE / MODEL
    shutil.copytree(sample_workspace / "models/tiny-ministral3", folder, dirs_exist_ok=True)
    config = json.loads((folder / "config.json").read_text())
    config["text_config"] |= TEXT_8B
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture
def allowed(settings_env, model_8b):
    # a longer heartbeat timeout than the tests' 2 s: the registered worker stays live
    settings_env(allowed_base_models=json.dumps([MODEL]), heartbeat_timeout_s="600")
    return settings_env


@pytest.fixture
def gpu_worker(allowed):
    """A live worker of queue gpu whose one GPU is the test's to declare."""

    def register(gpu: dict) -> None:
        register_worker("gpu.fit@box", ["gpu"], node="box", devices=["0"], gpus=[gpu])

    yield register
    unregister_worker("gpu.fit@box")


def check(dry: dict, name: str) -> dict:
    [found] = [c for c in dry["checks"] if c["name"] == name]
    return found


def test_a_spec_that_fits_passes_with_the_largest_batch_size(client, gpu_worker, model_8b):
    gpu_worker(H200)
    dry = client.post("/jobs?dry_run=true", json=BODY).json()
    assert dry["ok"] is True, dry["checks"]
    memory = check(dry, "memory")
    assert memory["status"] == "pass" and "fits on NVIDIA H200" in memory["message"]
    spec = TrainSpec.model_validate(dry["spec"])
    shape = read_shape(model_8b)
    expected = largest_batch_size(shape, spec, H200["memory_bytes"], precision="bf16")
    assert memory["data"]["largest_batch_size"] == expected >= 2
    assert f"the largest batch_size that fits: {expected}" in memory["message"]
    estimate = estimate_memory(shape, spec, precision="bf16")
    assert memory["data"]["estimate"] == estimate.as_dict()
    assert estimate.total <= H200["memory_bytes"]
    assert memory["data"]["gpu"]["worker"] == "gpu.fit@box"
    recomputed = estimate_memory(shape, spec, precision="bf16", gradient_checkpointing=True)
    assert memory["data"]["total_without_gradient_checkpointing"] == estimate.total
    assert memory["data"]["total_with_gradient_checkpointing"] == recomputed.total < estimate.total


def test_a_spec_that_does_not_fit_fails_with_the_fix(client, gpu_worker):
    gpu_worker(H100)
    big = BODY | {"batch_size": 64, "max_length": 8192, "grad_accum": 2}
    dry = client.post("/jobs?dry_run=true", json=big).json()
    assert dry["ok"] is False
    memory = check(dry, "memory")
    assert memory["status"] == "fail" and "predicted not to fit on NVIDIA H100" in memory["message"]
    for field in ("batch_size", "grad_accum", "gradient_checkpointing"):
        assert field in memory["data"]["hint"]
    assert memory["data"]["largest_batch_size"] < 64
    assert memory["data"]["estimate"]["total"] > H100["memory_bytes"]
    # the job itself is refused nowhere else: the same spec with no fit problem submits
    assert check(dry, "spec")["status"] == "pass"


def test_a_throughput_row_for_the_card_gives_the_time(client, gpu_worker, allowed, tmp_path):
    gpu_worker(H200)
    row = {
        "card": "NVIDIA H200", "model": "ministral3-8b", "layers": 34, "use_lora": True,
        "packing": False, "liger": False, "max_length": 2048, "batch_size": 4,
        "tokens_per_second": 5000.0, "mfu": 0.4, "peak_memory_bytes": 39_000_000_000,
        "measured_at": "2026-11-28", "torch": "2.13.0",
    }  # fmt: skip
    other = row | {"card": "NVIDIA L4", "tokens_per_second": 900.0}
    packed = row | {"packing": True, "tokens_per_second": 9000.0}
    table = tmp_path / "throughput.json"
    table.write_text(json.dumps({"rows": [other, packed, row]}))
    allowed(throughput_table=str(table))

    dry = client.post("/jobs?dry_run=true", json=BODY).json()
    time = check(dry, "time")
    assert time["status"] == "pass" and time["data"]["row"] == row
    plan = check(dry, "plan")["data"]
    tokens = 0.0
    for phase in plan["phases"].values():
        splits = phase["splits"]
        carved = (
            splits["validation"]["rows"] if splits["validation"].get("carved_from_train") else 0
        )
        mean = splits["train"]["tokens"] / splits["train"]["rows"]
        tokens += (splits["train"]["rows"] - carved) * mean
    assert time["data"]["seconds"] == pytest.approx(tokens / 5000.0, abs=0.06)  # to 0.1 s
    assert "5,000 tokens/s" in time["message"] and "NVIDIA H200" in time["message"]

    packing = client.post("/jobs?dry_run=true", json=BODY | {"packing": True}).json()
    assert check(packing, "time")["data"]["row"] == packed  # the options must match too


def test_without_a_row_or_a_known_gpu_the_dry_run_says_how_to_fill_them(client, allowed):
    dry = client.post("/jobs?dry_run=true", json=BODY).json()
    assert dry["ok"] is True  # not knowing is a warning
    memory, time = check(dry, "memory"), check(dry, "time")
    assert memory["status"] == "warn" and "C64FT_GPU_INVENTORY" in memory["message"]
    assert memory["data"]["estimate"]["total"] > 0
    assert time["status"] == "warn" and "bench/bench_gpu_train.py --record" in time["message"]
