import json

import pyarrow.parquet as pq
import pytest
from tokenizers import Tokenizer

from core.pipeline.dapt import PAGE_SEPARATOR, window_starts
from core.pipeline.files import SPLITS
from core.pipeline.splits import assign_splits
from tests.core.pipeline.conftest import build, plain_corpus


def test_window_starts_overlap_and_trailing_drop():
    assert window_starts(5000, 2048, 256, 512) == [0, 1792, 3584]
    assert window_starts(3900, 2048, 256, 512) == [0, 1792]  # last window: 316 new tokens
    assert window_starts(2048, 2048, 256, 512) == [0]
    assert window_starts(2200, 2048, 256, 512) == [0]  # a short trailing window: dropped
    assert window_starts(300, 2048, 256, 512) == [0]  # a short document: its one window
    assert window_starts(0, 2048, 256, 512) == []
    assert window_starts(600, 2048, 256, 512) == [0]


def test_splits_are_stable_for_a_seed_and_cover_every_split():
    docs = [f"doc-{i}" for i in range(40)]
    first = assign_splits(docs, seed=42)
    assert first == assign_splits(reversed(docs), seed=42)
    assert first != assign_splits(docs, seed=43)
    counts = {s: sum(v == s for v in first.values()) for s in SPLITS}
    assert counts == {"train": 32, "validation": 4, "test": 4}
    assert set(assign_splits(docs[:3], seed=1).values()) == set(SPLITS)


@pytest.fixture
def built(workspace):
    plain_corpus(workspace / "c64_docs", documents=10, pages=4)
    result, ctx = build(
        workspace, stages=["manifest", "extract", "normalize", "dedup", "build_dapt", "build_sft"]
    )
    return workspace, result


def test_dapt_and_sft_splits_are_document_disjoint_and_agree(built):
    workspace, _ = built
    dapt = {
        s: set(
            pq.read_table(workspace / f"data/processed/dapt/{s}.parquet")
            .column("doc_id")
            .to_pylist()
        )
        for s in SPLITS
    }
    sft = {
        s: {
            json.loads(line)["doc_id"]
            for line in (workspace / f"data/processed/sft/{s}.jsonl").read_text().splitlines()
        }
        for s in SPLITS
    }
    for a in SPLITS:
        assert dapt[a] and sft[a]
        for b in SPLITS:
            if a != b:
                assert not dapt[a] & dapt[b]
                assert not sft[a] & sft[b]
        assert sft[a] <= dapt[a]  # one document, one split, in both datasets


def test_chunks_overlap_by_exactly_stride_tokens(built):
    workspace, _ = built
    tokenizer = Tokenizer.from_file(str(workspace / "models/tiny/tokenizer.json"))
    pages = pq.read_table(workspace / "data/interim/deduped.parquet").to_pylist()
    chunks = pq.read_table(workspace / "data/processed/dapt/train.parquet").to_pylist()
    doc_id = chunks[0]["doc_id"]
    text = PAGE_SEPARATOR.join(p["text"] for p in pages if p["doc_id"] == doc_id)
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    mine = [c for c in chunks if c["doc_id"] == doc_id]
    assert len(mine) >= 3
    for chunk in mine:
        window = ids[chunk["token_start"] : chunk["token_start"] + chunk["token_count"]]
        assert tokenizer.decode(window) == chunk["text"]
        assert chunk["token_count"] == 64 or chunk is mine[-1]
    for before, after in zip(mine, mine[1:], strict=False):
        assert after["token_start"] - before["token_start"] == 64 - 8
        shared = ids[after["token_start"] : before["token_start"] + before["token_count"]]
        assert len(shared) == 8
    assert mine[-1]["token_count"] >= 16
    assert {"id", "doc_id", "source_file", "page_start", "page_end", "text", "token_count"} <= set(
        mine[0]
    )
    assert mine[0]["page_start"] == 1 and mine[-1]["page_end"] >= mine[0]["page_end"]


def test_same_seed_same_datasets(built, workspace):
    first = (workspace / "data/processed/sft/train.jsonl").read_bytes()
    (workspace / "data/interim/stats.json").unlink()  # forget the runs: really build again
    _, ctx = build(workspace, stages=["build_dapt", "build_sft"])
    assert not any((data or {}).get("skipped") for _, _, _, data in ctx.events)
    assert (workspace / "data/processed/sft/train.jsonl").read_bytes() == first
