import random

import pyarrow.parquet as pq

from core.pipeline.dedup import find_duplicates
from tests.core.pipeline.conftest import build
from tests.core.pipeline.corpus import technical_page, write_pdf


def _page(text: str, doc: str, number: int, quality: float = 0.9) -> dict:
    return {
        "doc_id": doc,
        "source_file": f"{doc}.pdf",
        "page_number": number,
        "text": text,
        "quality": quality,
    }


def test_keeps_the_best_copy_of_each_duplicate_group():
    rng = random.Random(3)
    original, other = technical_page(rng), technical_page(rng)
    pages = [
        _page(original, "a", 1, quality=0.5),
        _page(original, "b", 1, quality=0.9),
        _page("Reprinted edition\n" + original, "c", 1, quality=0.7),
        _page(other, "c", 2),
    ]
    keep, dropped = find_duplicates(pages, 0.8, workers=1, on_done=lambda n: None)
    assert keep == [1, 3]
    assert {(d["doc_id"], d["match"], d["duplicate_of_doc_id"]) for d in dropped} == {
        ("a", "exact", "b"),
        ("c", "near", "b"),
    }


def test_planted_exact_and_near_duplicates_are_all_removed_and_nothing_else(workspace):
    rng = random.Random(7)
    docs = {d: [technical_page(rng) for _ in range(8)] for d in range(6)}
    planted = {}  # (reprint file, page) -> (original file, page)
    reprint = []
    for n, (d, p) in enumerate([(0, 1), (1, 4), (2, 0), (3, 7), (4, 2), (5, 5)]):
        text = docs[d][p]
        if n % 2:  # near: another first line and a few edits
            words = text.split()
            for i in (30, 60, 90):
                words[i] = "changed"
            text = "Second printing, revised\n" + " ".join(words)
        reprint.append(text)
        planted[("reprints.pdf", len(reprint))] = (f"manual{d}.pdf", p + 1)
    for d, texts in docs.items():
        write_pdf(workspace / "c64_docs" / f"manual{d}.pdf", texts)
    write_pdf(workspace / "c64_docs" / "reprints.pdf", reprint)

    result, _ = build(workspace, stages=["manifest", "extract", "normalize", "dedup"])

    duplicates = pq.read_table(workspace / "data/processed/duplicates.parquet").to_pylist()
    found = {
        (d["source_file"], d["page_number"]): (
            d["duplicate_of_source_file"],
            d["duplicate_of_page_number"],
        )
        for d in duplicates
    }
    # Each planted pair loses exactly one copy; no other page is touched.
    pairs = {frozenset([a, b]) for a, b in planted.items()}
    assert {frozenset([a, b]) for a, b in found.items()} == pairs
    assert sorted(d["match"] for d in duplicates) == ["exact"] * 3 + ["near"] * 3
    assert result["stages"]["dedup"]["dedup_pages"] == 6 * 8
