"""A worker's GPUs: what nvidia-smi and rocm-smi print becomes name and memory per device, the
declared inventory (C64FT_GPU_INVENTORY) stands for the owned devices, and the probe on this
machine answers without torch in the calling process."""

import json
import subprocess
import sys

import pytest
from pydantic import ValidationError

from core.config import Settings
from core.gpus import MIB, GpuInfo, owned_gpus, parse_nvidia_smi, parse_rocm_smi

# `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits` on a box
# of two cards
NVIDIA_SMI_OUTPUT = """\
0, GPU-3b2f9c1e-0d4e-4a57-9d7e-1c2b3a4d5e6f, NVIDIA H100 80GB HBM3, 81559
1, GPU-8a7b6c5d-4e3f-2a1b-0c9d-8e7f6a5b4c3d, NVIDIA H100 80GB HBM3, 81559
"""
ROCM_SMI_OUTPUT = json.dumps(
    {
        "card0": {"Card Series": "AMD Instinct MI300X", "VRAM Total Memory (B)": "206141652992"},
        "system": {"Driver version": "6.8.5"},
    }
)


def test_nvidia_smi_lines_become_index_uuid_name_and_bytes():
    first, second = parse_nvidia_smi(NVIDIA_SMI_OUTPUT)
    assert first[0] == "0" and first[1].startswith("GPU-3b2f")
    assert first[2] == GpuInfo(id="0", name="NVIDIA H100 80GB HBM3", memory_bytes=81559 * MIB)
    assert second[2].id == "1"


def test_rocm_smi_cards_become_name_and_bytes():
    [(index, _uuid, info)] = parse_rocm_smi(ROCM_SMI_OUTPUT)
    assert index == "0" and info.name == "AMD Instinct MI300X"
    assert info.memory_bytes == 206_141_652_992


def test_the_declared_inventory_stands_for_the_owned_devices():
    a100 = GpuInfo(name="NVIDIA A100-SXM4-40GB", memory_bytes=42_949_672_960)
    assert owned_gpus([], [a100, a100]) == [a100.model_dump()] * 2  # no --gpus: all declared
    mine = owned_gpus(["2", "3"], [a100, a100])  # in order: the owned ids
    assert [g["id"] for g in mine] == ["2", "3"]
    by_id = [a100.model_copy(update={"id": str(n)}) for n in range(4)]
    assert [g["id"] for g in owned_gpus(["1", "3"], by_id)] == ["1", "3"]


def test_the_inventory_setting_is_json_checked_at_start(monkeypatch):
    declared = [{"name": "NVIDIA L4", "memory_bytes": 24_152_899_584}]
    monkeypatch.setenv("C64FT_GPU_INVENTORY", json.dumps(declared))
    assert Settings().gpu_inventory == [GpuInfo(**declared[0])]
    assert json.loads(Settings().in_force()["C64FT_GPU_INVENTORY"]) == declared
    monkeypatch.setenv("C64FT_GPU_INVENTORY", json.dumps([{"name": "NVIDIA L4"}]))
    with pytest.raises(ValidationError, match="memory_bytes"):
        Settings()


def test_the_probe_answers_for_this_machine_without_importing_torch():
    """Run in a fresh interpreter: it lists what this machine has (none on a CPU box) and never
    loads torch into the process that asked."""
    code = (
        "import json, sys; from core.gpus import owned_gpus; "
        "print(json.dumps([owned_gpus([]), 'torch' in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    found, torch_loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert torch_loaded is False
    for gpu in found:
        assert gpu["name"] and gpu["memory_bytes"] > 0
