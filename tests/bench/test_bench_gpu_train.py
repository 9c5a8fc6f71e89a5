"""bench/bench_gpu_train.py --tiny: the GPU bench's own code, run on the CPU with tiny shapes."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_gpu_train.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_gpu_train", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_examples_follow_the_sft_spread():
    bench = load_bench()
    data = bench.synthetic_dataset(400, 131072, seed=0)
    lengths = sorted(len(ids) for ids in data["input_ids"])
    assert lengths[0] >= 230 and lengths[-1] <= 1_200
    assert 380 <= lengths[200] <= 560  # the median, ~470 tokens
    for ids, mask in zip(data["input_ids"], data["assistant_masks"], strict=True):
        assert len(ids) == len(mask) and mask[0] == 0 and mask[-1] == 1
        assert min(ids) >= bench.FIRST_ID


def test_peak_by_card_name():
    bench = load_bench()
    assert bench.peak_tflops("NVIDIA H100 80GB HBM3", None) == 989.4
    assert bench.peak_tflops("NVIDIA H100 PCIe", None) == 756.0
    assert bench.peak_tflops("NVIDIA H200", None) == 989.4
    assert bench.peak_tflops("NVIDIA A100-SXM4-80GB", None) == 312.0
    assert bench.peak_tflops("NVIDIA L4", None) == 121.0
    assert bench.peak_tflops("some new card", None) is None
    assert bench.peak_tflops("some new card", 500.0) == 500.0


@pytest.mark.slow
def test_tiny_rows_train_and_record(tmp_path, capsys):
    bench = load_bench()
    table = tmp_path / "throughput.json"
    kept = {"card": "NVIDIA H100 80GB HBM3", "model": "ministral3-8b", "layers": 34}
    table.write_text(json.dumps({"rows": [kept]}))
    names = ["lora", "lora-packing", "full-packing", "lora-packing-liger"]  # CI time: one Liger row
    rc = bench.main(["--tiny", "--json", "--record", str(table), "--rows", *names])
    rows = {r["row"]: r for r in json.loads(capsys.readouterr().out)}
    assert rc == 1  # the Liger rows cannot run on the CPU
    assert set(rows) == set(names)
    for name in ("lora", "lora-packing", "full-packing"):
        row = rows[name]
        assert "error" not in row, row
        assert row["steps_timed"] == 2 and row["tokens_per_second"] > 0
        assert row["step_p50_s"] <= row["step_p99_s"]
        assert row["flops_per_second"] > 0 and row["final_loss"] > 0
    # LoRA trains the adapter only; the full row every weight; both count the same matmuls
    assert rows["lora"]["trained_weights"] < rows["full-packing"]["trained_weights"] / 10
    assert rows["lora"]["matmul_weights"] == rows["full-packing"]["matmul_weights"]
    # padding-free packing: no padding, and more real tokens per step than padded batches
    assert rows["lora-packing"]["padding_free"] and rows["lora-packing"]["padding_share"] == 0
    assert not rows["lora"]["padding_free"] and rows["lora"]["padding_share"] > 0
    assert rows["lora-packing"]["real_tokens"] > 2 * rows["lora"]["real_tokens"]
    liger = rows["lora-packing-liger"]  # the reason, instead of figures
    assert "GPU" in liger["error"] and "tokens_per_second" not in liger
    written = json.loads(table.read_text())["rows"]
    assert written[0] == kept  # another card's row stays
    assert [(r["use_lora"], r["packing"], r["liger"]) for r in written[1:]] == [
        (True, False, False),
        (True, True, False),
        (False, True, False),
    ]
    for r in written[1:]:
        assert r["card"] == "cpu" and r["model"] == "tiny-ministral3" and r["layers"] == 4
        assert r["max_length"] == 256 and r["batch_size"] == 2 and r["tokens_per_second"] > 0
        assert r["mfu"] is None and r["peak_memory_bytes"] is None  # no peak, no GPU memory
    assert bench.record(table, [rows["lora"]], tiny=True) == 1
    assert len(json.loads(table.read_text())["rows"]) == 4  # the same card and options: replaced
