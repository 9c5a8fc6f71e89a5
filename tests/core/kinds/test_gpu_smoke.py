"""The gpu_smoke runner on this machine's real torch (no GPU here: the CPU path)."""

import pytest
import torch

from c64ft.console import ConsoleContext
from core.errors import JobFailure
from core.kinds.gpu_smoke import runner as gpu_smoke
from core.kinds.gpu_smoke.spec import GpuSmokeSpec

needs_no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="asserts the no-GPU path")


def run(tmp_path, **fields):
    return gpu_smoke.run(
        GpuSmokeSpec(kind="gpu_smoke", **fields), ConsoleContext(workspace=tmp_path)
    )


def test_reports_versions_devices_and_a_checked_product(tmp_path):
    result = run(tmp_path, allow_cpu=True, matrix_size=128)
    assert result["torch_version"] == torch.__version__
    assert result["device_count"] == torch.cuda.device_count()
    assert {"hip_version", "cuda_version", "bf16_supported", "devices"} <= set(result)
    assert result["hip_version"] == torch.version.hip  # the original's field, null off ROCm
    devices = result["devices"]
    assert all(d["vram_gb"] == round(d["total_memory_bytes"] / 2**30, 2) for d in devices)
    total = sum(d["total_memory_bytes"] for d in devices) / 2**30
    assert result["vram_gb"] == (round(total, 2) if devices else None)
    assert result["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    assert result["matmul_check"]["relative_error"] < gpu_smoke.RELATIVE_TOLERANCE


@needs_no_gpu
def test_without_a_gpu_and_without_allow_cpu_fails_with_the_seed_hint(tmp_path):
    with pytest.raises(JobFailure) as failure:
        run(tmp_path, matrix_size=64)
    assert failure.value.type == "no_gpu"
    for fact in ("/dev/kfd", "/dev/dri", "video", "render", "allow_cpu"):
        assert fact in failure.value.hint


def test_a_wrong_product_fails_the_job(tmp_path, monkeypatch):
    wrong = {"relative_error": 0.5, "seconds": 0.01, "tflops": 1.0}
    monkeypatch.setattr(gpu_smoke, "checked_matmul", lambda *args: wrong)
    with pytest.raises(JobFailure) as failure:
        run(tmp_path, allow_cpu=True, matrix_size=64)
    assert failure.value.type == "gpu_check_failed"


def test_checked_matmul_compares_against_a_float64_reference():
    check = gpu_smoke.checked_matmul(64, "cpu", seed=1)
    assert 0 <= check["relative_error"] < 1e-5 and check["seconds"] > 0


def test_burn_in_repeats_the_check_for_the_asked_time(tmp_path):
    result = run(tmp_path, allow_cpu=True, matrix_size=64, burn_in_s=0.3)
    assert result["iterations"] > 2
