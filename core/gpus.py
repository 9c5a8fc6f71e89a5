"""The GPUs a worker owns, with their name and total memory, found at its start without torch in
the worker's main process (it forks the pool processes that use CUDA): declared by
C64FT_GPU_INVENTORY, else asked of nvidia-smi or rocm-smi, else of torch in a subprocess. The
dry run reads them from the worker's row to say whether a train spec fits (core/preflight.py)."""

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger(__name__)
PROBE_TIMEOUT_S = 60.0
MIB = 1 << 20


class GpuInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        None, description="The device id it answers to (`--gpus`): an index or a UUID."
    )
    name: str = Field(min_length=1, description='The card, as the driver names it ("NVIDIA …").')
    memory_bytes: int = Field(gt=0, description="Its total memory, in bytes.")


# Each probe: argv, and how its output becomes GpuInfo rows (id = index, with the UUID as alias).
NVIDIA_SMI = [
    "nvidia-smi",
    "--query-gpu=index,uuid,name,memory.total",
    "--format=csv,noheader,nounits",
]
ROCM_SMI = ["rocm-smi", "--showproductname", "--showmeminfo", "vram", "--json"]
TORCH_PROBE = (
    "import json, torch\n"
    "n = torch.cuda.device_count() if torch.cuda.is_available() else 0\n"
    "p = [torch.cuda.get_device_properties(i) for i in range(n)]\n"
    "print(json.dumps([[str(i), '', x.name, x.total_memory] for i, x in enumerate(p)]))\n"
)


def parse_nvidia_smi(text: str) -> list[tuple[str, str, GpuInfo]]:
    """(index, uuid, info) per line of `nvidia-smi --query-gpu=index,uuid,name,memory.total
    --format=csv,noheader,nounits` (memory in MiB)."""
    found = []
    for line in text.strip().splitlines():
        index, uuid, name, mib = (part.strip() for part in line.split(","))
        found.append((index, uuid, GpuInfo(id=index, name=name, memory_bytes=int(mib) * MIB)))
    return found


def parse_rocm_smi(text: str) -> list[tuple[str, str, GpuInfo]]:
    """(index, "", info) per card of `rocm-smi --showproductname --showmeminfo vram --json`."""
    found = []
    for card, fields in sorted(json.loads(text).items()):
        if not card.startswith("card"):
            continue
        index = card.removeprefix("card")
        name = fields.get("Card Series") or fields.get("Card series") or fields.get("Card SKU")
        memory = int(fields["VRAM Total Memory (B)"])
        info = GpuInfo(id=index, name=name or f"AMD GPU {index}", memory_bytes=memory)
        found.append((index, "", info))
    return found


def _run(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("GPU probe %s failed: %s", argv[0], exc)
        return None
    if done.returncode != 0:
        log.warning("GPU probe %s exited %s: %s", argv[0], done.returncode, done.stderr.strip())
        return None
    return done.stdout


def _probe_all() -> list[tuple[str, str, GpuInfo]]:
    """Every GPU this machine shows, from the first probe that answers."""
    for argv, parse in ((NVIDIA_SMI, parse_nvidia_smi), (ROCM_SMI, parse_rocm_smi)):
        if shutil.which(argv[0]) and (out := _run(argv)) is not None:
            try:
                return parse(out)
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("GPU probe %s: unreadable output (%s)", argv[0], exc)
    if not (list(Path("/dev").glob("nvidia[0-9]*")) or Path("/dev/kfd").exists()):
        return []  # no GPU device node: torch would see none either, and its import costs seconds
    out = _run([sys.executable, "-c", TORCH_PROBE])
    rows = json.loads(out) if out else []
    return [(i, u, GpuInfo(id=i, name=n, memory_bytes=m)) for i, u, n, m in rows]


def _visible(found: list[tuple[str, str, GpuInfo]]) -> list[tuple[str, str, GpuInfo]]:
    """Those CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES leave to this process, when set."""
    for variable in ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES"):
        if (value := os.environ.get(variable)) is not None:
            wanted = [part.strip() for part in value.split(",") if part.strip()]
            return [row for row in found if row[0] in wanted or row[1] in wanted]
    return found


def owned_gpus(
    devices: Sequence[str], declared: list[GpuInfo] | None = None
) -> list[dict[str, object]]:
    """The GPUs of a worker owning `devices` (its `--gpus` ids; none: every GPU it sees), as
    rows for worker.gpus. `declared` (C64FT_GPU_INVENTORY) replaces the probe: its entries with
    an id stand for that device, those without are taken in order."""
    if declared is not None:
        if devices and all(gpu.id is not None for gpu in declared):
            chosen = [gpu for gpu in declared if gpu.id in devices]
        elif devices:  # in order, each standing for the owned device at its place
            chosen = [
                gpu.model_copy(update={"id": d}) for gpu, d in zip(declared, devices, strict=False)
            ]
        else:
            chosen = declared
        return [gpu.model_dump() for gpu in chosen]
    found = _probe_all() if devices else _visible(_probe_all())
    if devices:
        found = [row for row in found if row[0] in devices or row[1] in devices]
    return [info.model_dump() for _index, _uuid, info in found]
