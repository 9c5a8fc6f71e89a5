import hashlib
import random
from datetime import UTC, datetime

import pyarrow.parquet as pq
from fpdf import FPDF

from core.pipeline.files import read_rows
from tests.core.pipeline.conftest import build
from tests.core.pipeline.corpus import technical_page, write_html, write_image_pdf, write_pdf
from tests.needs import require_ocr

SCANNED_LINES = [
    "The raster interrupt fires when the beam",
    "reaches the line stored in register $D012.",
    "Acknowledge it by writing to $D019.",
]
EXTRACT = ["manifest", "extract"]


def _pages(workspace):
    return read_rows(workspace / "data/interim/pages.parquet", "extract")


def test_pdf_pages_and_html_sections_with_quality(workspace):
    rng = random.Random(1)
    write_pdf(workspace / "c64_docs/a.pdf", [technical_page(rng), technical_page(rng)])
    write_html(
        workspace / "c64_docs/sub/b.html",
        "Kernal notes",
        {"CHROUT": technical_page(rng), "GETIN": technical_page(rng)},
    )
    result, _ = build(workspace, stages=EXTRACT)
    pages = _pages(workspace)
    assert [(p["source_file"], p["page_number"]) for p in pages] == [
        ("a.pdf", 1),
        ("a.pdf", 2),
        ("sub/b.html", 1),
        ("sub/b.html", 2),
    ]
    html = [p for p in pages if p["method"] == "html"]
    assert html[0]["title"] == "Kernal notes" and "Home | Index" not in html[0]["text"]
    assert html[0]["text"].startswith("Kernal notes\nCHROUT\n")  # the h1 joins its section
    assert html[1]["text"].startswith("GETIN\n")
    assert all(p["quality"] > 0.5 for p in pages if p["method"] == "text")
    assert result["stages"]["extract"]["total_pages"] == 4


def test_ocr_recovers_an_image_only_page(workspace):
    require_ocr()
    rng = random.Random(2)
    write_pdf(workspace / "c64_docs/digital.pdf", [technical_page(rng)])
    write_image_pdf(workspace / "c64_docs/scan.pdf", SCANNED_LINES)
    result, _ = build(workspace, stages=EXTRACT)
    scanned = [p for p in _pages(workspace) if p["source_file"] == "scan.pdf"]
    assert scanned[0]["method"] == "ocr"
    words = scanned[0]["text"].lower()
    for word in ("raster", "interrupt", "beam", "register", "$d012", "acknowledge"):
        assert word in words
    counts = result["stages"]["extract"]
    assert counts["low_quality_pages"] == 1 and counts["ocr_replaced"] == 1
    assert counts["pages_without_ocr"] == 0


def test_missing_ocrmypdf_is_a_warning_and_a_count(workspace, monkeypatch):
    write_image_pdf(workspace / "c64_docs/scan.pdf", SCANNED_LINES)
    monkeypatch.setenv("PATH", "/nonexistent")
    result, ctx = build(workspace, stages=EXTRACT)
    counts = result["stages"]["extract"]
    assert counts["ocr_available"] is False and counts["pages_without_ocr"] == 1
    assert any(
        level == "warning" and "ocrmypdf is not installed" in message
        for _, level, message, _ in ctx.events
    )


def test_no_ocr_when_not_asked(workspace):
    write_image_pdf(workspace / "c64_docs/scan.pdf", SCANNED_LINES)
    result, _ = build(workspace, stages=EXTRACT, allow_ocr=False)
    assert result["stages"]["extract"]["ocr_pages"] == 0
    assert result["stages"]["extract"]["pages_without_ocr"] == 0


def test_corrupt_and_encrypted_files_are_counted_and_the_others_go_on(workspace):
    rng = random.Random(4)
    write_pdf(workspace / "c64_docs/good.pdf", [technical_page(rng)])
    (workspace / "c64_docs/corrupt.pdf").write_bytes(b"%PDF-1.7\nthis is not a pdf")
    locked = FPDF()
    locked.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    locked.set_encryption(owner_password="owner", user_password="secret")
    locked.add_page()
    locked.set_font("helvetica", size=10)
    locked.multi_cell(0, 5, technical_page(rng))
    locked.output(str(workspace / "c64_docs/locked.pdf"))

    result, ctx = build(workspace, stages=EXTRACT)
    counts = result["stages"]["extract"]
    assert counts["files"] == 3 and counts["files_failed"] == 2
    assert {f["source_file"] for f in counts["failed_files"]} == {"corrupt.pdf", "locked.pdf"}
    assert {p["source_file"] for p in _pages(workspace)} == {"good.pdf"}
    warned = [m for _, level, m, _ in ctx.events if level == "warning"]
    assert any("corrupt.pdf" in m for m in warned) and any("locked.pdf" in m for m in warned)


def test_manifest_lists_files_with_size_and_sha256(workspace):
    rng = random.Random(5)
    path = write_pdf(workspace / "c64_docs/a.pdf", [technical_page(rng)])
    (workspace / "c64_docs/readme.txt").write_text("not a manual")
    build(workspace, stages=["manifest"])
    rows = pq.read_table(workspace / "data/interim/manifest.parquet").to_pylist()
    assert rows == [
        {
            "doc_id": rows[0]["doc_id"],
            "source_file": "a.pdf",
            "format": "pdf",
            "size_bytes": path.stat().st_size,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
    ]
    build(workspace, stages=["manifest"])
    again = pq.read_table(workspace / "data/interim/manifest.parquet").to_pylist()
    assert again[0]["doc_id"] == rows[0]["doc_id"]
