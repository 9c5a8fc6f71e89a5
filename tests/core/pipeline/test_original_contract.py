"""The dataset contract of the original workflow, as its users script against it: the report's
field paths, the coverage gate, short documents in DAPT, the excerpt in SFT user turns, the
near-duplicate list's location and the extracted pages' columns."""

import json
import random

import pyarrow.parquet as pq
import pytest

from core.errors import JobFailure
from core.pipeline.quality import text_quality
from core.pipeline.report import sft_thinking
from core.pipeline.sft import EXCERPT_CHARS, MIN_QUALITY, examples_for_page, page_skip_reason
from core.publish import MARKER
from tests.core.pipeline.conftest import build, plain_corpus
from tests.core.pipeline.corpus import technical_page, write_html, write_pdf

SPLIT_FIELDS = (
    "assistant_messages",
    "assistant_with_think",
    "assistant_with_think_ratio",
    "conversations",
    "conversations_with_multiple_assistant_turns",
    "multi_turn_ratio",
)
TOP_FIELDS = (
    "assistant_messages_total",
    "assistant_with_think_total",
    "conversations_total",
    "conversations_with_multiple_assistant_turns_total",
    "assistant_with_think_ratio",
    "multi_turn_ratio",
    "unique_think_texts",
    "top_think_texts",
    "bad_json_lines",
)


def _at(report: dict, path: str):
    """The value at a dotted path, as a script of the original's users reads it."""
    value = report
    for key in path.split("."):
        value = value[key]
    return value


def test_the_report_carries_the_original_field_paths(workspace):
    plain_corpus(workspace / "c64_docs")
    build(workspace)
    report = json.loads((workspace / "data/processed/validation_report.json").read_text())
    base = "checks.sft_thinking"
    splits = {
        split: {f: _at(report, f"{base}.splits.{split}.{f}") for f in SPLIT_FIELDS}
        for split in ("train", "validation", "test")
    }
    top = {f: _at(report, f"{base}.{f}") for f in TOP_FIELDS}
    assert top["conversations_total"] == report["checks"]["sft_examples"]["total"] > 0
    for field in ("assistant_messages", "assistant_with_think", "conversations"):
        assert top[f"{field}_total"] == sum(s[field] for s in splits.values())
    multi = "conversations_with_multiple_assistant_turns"
    assert top[f"{multi}_total"] == sum(s[multi] for s in splits.values()) > 0
    assert top["assistant_with_think_total"] == top["assistant_messages_total"]
    assert top["assistant_with_think_ratio"] == 1.0 and top["bad_json_lines"] == 0
    assert top["multi_turn_ratio"] == round(top[f"{multi}_total"] / top["conversations_total"], 4)
    assert all(s["assistant_with_think_ratio"] == 1.0 for s in splits.values())
    counts = [t["count"] for t in top["top_think_texts"]]
    assert 0 < len(counts) <= top["unique_think_texts"] and counts == sorted(counts, reverse=True)
    assert sum(counts) <= top["assistant_with_think_total"]
    assert report["verdict"] == "pass" and report["contract"]["min_coverage_ratio"] == 0.80
    assert report["contract"]["min_sft_page_quality"] == MIN_QUALITY == 0.62


def test_distinct_traces_are_counted_after_whitespace_normalisation(tmp_path):
    def line(trace: str) -> str:
        turn = {"role": "assistant", "content": f"[THINK]{trace}[/THINK]\nAn answer."}
        return json.dumps({"messages": [{"role": "user", "content": "q"}, turn]})

    rows = [line("Check  the\nVIC."), line("Check the VIC."), line(" Check the VIC. "), "{no"]
    (tmp_path / "train.jsonl").write_text("\n".join(rows) + "\n")
    (tmp_path / "validation.jsonl").write_text(line("Another trace.") + "\n")
    (tmp_path / "test.jsonl").write_text("")
    thinking = sft_thinking(tmp_path)
    assert thinking["unique_think_texts"] == 2 and thinking["bad_json_lines"] == 1
    assert thinking["top_think_texts"] == [
        {"text": "Check the VIC.", "count": 3},
        {"text": "Another trace.", "count": 1},
    ]


def _low_coverage_corpus(workspace) -> None:
    """32 pages of text and 10 blank ones (no text layer): coverage 32/42 < 0.80."""
    plain_corpus(workspace / "c64_docs")
    write_pdf(workspace / "c64_docs/blank.pdf", [""] * 10)


@pytest.mark.parametrize("allow_ocr", [False, True])
def test_low_coverage_fails_a_strict_build_with_or_without_ocr(workspace, monkeypatch, allow_ocr):
    _low_coverage_corpus(workspace)
    monkeypatch.setenv("PATH", "/nonexistent")  # no ocrmypdf: the blank pages stay blank
    with pytest.raises(JobFailure) as failure:
        build(workspace, allow_ocr=allow_ocr)
    assert failure.value.type == "data_contract_failed"
    assert "extraction coverage 0.7619 < 0.8" in failure.value.message
    report = json.loads((workspace / "data/processed/validation_report.json").read_text())
    assert report["verdict"] == "fail" and report["ok"] is False
    markdown = (workspace / "data/processed/validation_report.md").read_text()
    assert "**Verdict: FAIL" in markdown and "| min_coverage_ratio | 0.8 |" in markdown


def test_warnings_without_the_strict_contract_pass_and_say_so(workspace):
    _low_coverage_corpus(workspace)
    result, ctx = build(workspace, allow_ocr=False, strict_thinking_contract=False)
    assert result["ok"] is False and result["verdict"] == "pass_with_warnings"
    assert result["warnings"] == [
        "extraction coverage 0.7619 < 0.8 (pages with text out of all pages: image-only pages "
        "need OCR)"
    ]
    markdown = (workspace / "data/processed/validation_report.md").read_text()
    assert "**Verdict: passed with warnings" in markdown and "FAIL" not in markdown
    assert f"- warning: {result['warnings'][0]}" in markdown
    assert any(m == "validation passed with warnings" for _, _, m, _ in ctx.events)


def test_short_documents_each_give_one_dapt_chunk(workspace):
    rng = random.Random(3)
    for n in range(6):
        note = " ".join(technical_page(rng, sentences=2).split()[:30])
        write_html(workspace / f"c64_docs/note{n}.html", f"Note {n}", {"Tip": note})
    result, _ = build(
        workspace,
        stages=["manifest", "extract", "normalize", "dedup", "build_dapt"],
        block_size=2048,
        stride=256,
        min_chunk_tokens=1000,
    )
    chunks = [
        row
        for split in ("train", "validation", "test")
        for row in pq.read_table(workspace / f"data/processed/dapt/{split}.parquet").to_pylist()
    ]
    assert result["stages"]["build_dapt"]["documents"] == 6
    assert sorted(c["doc_id"] for c in chunks) == sorted({c["doc_id"] for c in chunks})
    assert len(chunks) == 6 and all(0 < c["token_count"] < 1000 for c in chunks)
    assert all(c["text"].startswith("Note ") for c in chunks)  # the whole note, from its start


PAGE = {
    "doc_id": "doc-x",
    "source_file": "x.pdf",
    "page_number": 3,
    "title": "X",
    "quality": 0.9,
    "text": "Raster interrupts\n" + technical_page(random.Random(1), sentences=40),
}


def test_the_first_user_turn_carries_the_excerpt_it_is_answered_from():
    examples = examples_for_page(PAGE, "system", "train", limit=3)
    for example in examples:
        question = example["messages"][1]["content"]
        head, _, excerpt = question.partition("\n\nAnswer from this excerpt of the manual ")
        assert head and excerpt.startswith("(x.pdf, page 3):\n\nRaster interrupts\n")
        assert len(excerpt) <= EXCERPT_CHARS + 40 and PAGE["text"].startswith(
            excerpt.split("\n\n", 1)[1]
        )
        assert example["source_refs"] == [{"source_file": "x.pdf", "page_number": 3}]
    explain_answer = examples[0]["messages"][2]["content"].split("[/THINK]")[1].strip()
    assert explain_answer[:200] in examples[0]["messages"][1]["content"]  # the manual's words
    follow_up = examples[2]["messages"]
    assert "excerpt" not in follow_up[3]["content"]  # the follow-up question stays short
    bare = examples_for_page(PAGE, "system", "train", limit=1, excerpt_chars=0)
    assert "excerpt" not in bare[0]["messages"][1]["content"]
    # Further wordings ask the bare question: a model also learns to answer without one.
    worded = examples_for_page(PAGE, "system", "train", limit=1, phrasings=3)
    assert [("excerpt" in e["messages"][1]["content"]) for e in worded] == [True, False, False]


def test_pages_under_the_quality_gate_make_no_examples():
    assert page_skip_reason(PAGE, MIN_QUALITY) is None
    assert page_skip_reason({**PAGE, "quality": MIN_QUALITY - 0.01}, MIN_QUALITY) == "low_quality"
    rng = random.Random(4)
    garbled = "".join(rng.choice("~|^{}<>@*_=") if rng.random() < 0.35 else c for c in PAGE["text"])
    assert text_quality(PAGE["text"]) >= MIN_QUALITY > text_quality(garbled)  # a bad text layer


def test_duplicates_and_pages_where_the_original_writes_them(workspace):
    rng = random.Random(5)
    texts = [technical_page(rng) for _ in range(3)]
    write_pdf(workspace / "c64_docs/a.pdf", texts)
    write_pdf(workspace / "c64_docs/reprint.pdf", texts[:1])
    write_html(workspace / "c64_docs/b.html", "Notes", {"Voices": technical_page(rng)})
    build(workspace, stages=["manifest", "extract", "normalize", "dedup"])
    original = workspace / "data/interim/dedup/duplicates.parquet"
    ours = pq.read_table(workspace / "data/processed/duplicates.parquet").to_pylist()
    assert pq.read_table(original).to_pylist() == ours and len(ours) == 1
    assert (original.parent / MARKER).is_file()  # published and fenced like dapt/ and sft/
    (dropped,) = ours
    assert dropped["id"] == f"{dropped['doc_id']}:p{dropped['page_number']}"
    assert dropped["duplicate_of"] == f"{dropped['duplicate_of_doc_id']}:p1"

    pages = pq.read_table(workspace / "data/interim/pages.parquet").to_pylist()
    for page in pages:
        assert page["text_raw"] == page["text"] and page["quality_score"] == page["quality"]
    methods = {(p["method"], p["extract_method"]) for p in pages}
    assert methods == {("text", "digital"), ("html", "html")}
