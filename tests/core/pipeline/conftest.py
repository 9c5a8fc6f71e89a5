"""Run the dataset pipeline in-process on a corpus built in a temporary workspace."""

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.kinds.build_datasets.runner import run
from core.kinds.build_datasets.spec import BuildDatasetsSpec
from tests.core.pipeline.corpus import SUBJECTS, technical_page, write_html, write_pdf
from tests.recording import RecordingContext

SMALL = {
    "block_size": 64,
    "stride": 8,
    "min_chunk_tokens": 16,
    "min_dapt_chunks": 1,
    "min_sft_examples": 1,
    "model_path": "models/tiny",
}


def build(
    workspace: Path, run_id: str | None = None, **fields: Any
) -> tuple[dict[str, Any], RecordingContext]:
    ctx = RecordingContext(workspace)
    ctx.run_id = run_id or ctx.run_id
    spec = BuildDatasetsSpec.model_validate({"kind": "build_datasets", **SMALL, **fields})
    return run(spec, ctx), ctx


@pytest.fixture
def workspace(tmp_path, tiny_model) -> Path:
    """An empty workspace holding the tiny model (for its tokenizer) at models/tiny."""
    shutil.copytree(tiny_model, tmp_path / "models" / "tiny")
    return tmp_path


def plain_corpus(source: Path, documents: int = 5, pages: int = 6, seed: int = 0) -> None:
    """`documents` PDFs of distinct technical pages, with running headers and footers."""
    rng = random.Random(seed)
    for d in range(documents):
        texts = [f"Part {d}.{p}: {SUBJECTS[p]}\n{technical_page(rng)}" for p in range(pages)]
        write_pdf(source / f"manual{d}.pdf", texts, header=f"C64 Notes, volume {d}")
    write_html(
        source / "notes.html",
        "SID notes",
        {"Voices": technical_page(rng), "Filter": technical_page(rng)},
    )


BEFORE_SFT = ["manifest", "extract", "normalize", "dedup", "build_dapt"]


def build_mixed_pair(workspace: Path) -> None:
    """data/processed/sft from build `one`, dapt from build `two` over changed manuals: what a
    build killed between its DAPT and SFT stages leaves (each stage publishes atomically, so a
    build that stops after build_dapt leaves the same files)."""
    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    build(workspace, run_id="one")
    plain_corpus(workspace / "c64_docs", documents=4, pages=2, seed=1)
    build(workspace, run_id="two", stages=BEFORE_SFT)
