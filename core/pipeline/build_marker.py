"""Which build made a dataset folder: `build.json` beside the splits of `dapt/` and `sft/`.

A build_datasets killed between its DAPT and SFT stages leaves each folder complete but made
from different pages; the validate stage and a train job refuse such a pair. Two folders are
one build when they were made from the same deduplicated pages with the same seed (so
re-running `build_sft` alone on the same pages is fine). Folders made before markers existed
carry none; a pair of them is accepted as it always was.
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.digest import file_sha256
from core.errors import JobFailure

MARKER = "build.json"
PARTNER = {"build_dapt": "sft", "build_sft": "dapt"}  # stage → the other folder's name
MIXED_HINT = (
    "Re-run build_datasets with stages build_dapt, build_sft, validate (or all stages) so that "
    "both folders come from one build."
)


def write_marker(folder: Path, *, run_id: str, stage: str, pages: Path, seed: int) -> None:
    """Record, inside the folder being published, the build and the pages it was made from."""
    marker = {
        "run_id": run_id,
        "stage": stage,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "pages_sha256": file_sha256(pages),
    }
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n")


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The folder's marker; None when it has none (made before markers existed)."""
    try:
        return json.loads((folder / MARKER).read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        return {"run_id": "unreadable build.json"}  # never equal to a real build


def _same_build(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("pages_sha256", "seed")
    return all(k in a for k in keys) and all(a.get(k) == b.get(k) for k in keys)


def _describe(folder: Path, marker: dict[str, Any] | None) -> str:
    if marker is None:
        return f"{folder} has no {MARKER} (built before builds were recorded)"
    return f"{folder} was built by run {marker.get('run_id')} at {marker.get('built_at')}"


def check_same_build(dapt_dir: Path, sft_dir: Path) -> None:
    """Raise JobFailure `dataset_mixed_runs` when the two folders come from different builds.

    Args:
        dapt_dir: a folder of DAPT splits.
        sft_dir: a folder of SFT splits.
    """
    if not (dapt_dir.is_dir() and sft_dir.is_dir()):
        return  # nothing to compare; a missing folder is reported by whoever reads it
    dapt, sft = read_marker(dapt_dir), read_marker(sft_dir)
    if (dapt is None and sft is None) or (dapt and sft and _same_build(dapt, sft)):
        return
    raise JobFailure(
        "dataset_mixed_runs",
        f"the DAPT and SFT datasets come from different builds: {_describe(dapt_dir, dapt)}; "
        f"{_describe(sft_dir, sft)} (from other pages or another seed)",
        hint=MIXED_HINT,
    )


def check_partner(folder: Path) -> None:
    """`check_same_build` for a built folder and the folder its build wrote beside it."""
    marker = read_marker(folder)
    if not marker or marker.get("stage") not in PARTNER:
        return
    partner = folder.parent / PARTNER[marker["stage"]]
    if partner.is_dir():
        pair = (folder, partner) if marker["stage"] == "build_dapt" else (partner, folder)
        check_same_build(*pair)
