"""Stage `extract`: the text of every page (PDF) or section (HTML), its quality score, and OCR
for PDF pages whose text layer scores under `ocr_threshold`."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from core.pipeline import ocr
from core.pipeline.files import PipelinePaths, read_rows, write_table
from core.pipeline.manifest import MANIFEST
from core.pipeline.parallel import ordered_map, worker_count
from core.pipeline.quality import text_quality
from core.pipeline.readers import UnreadableFile, read_html, read_pdf
from core.pipeline.stats import PipelineStats
from core.pipeline.step import PipelineStep
from core.pipeline.tracker import Tracker

PAGES = "pages.parquet"
OCR_MARGIN = 0.1  # OCR text replaces a page only when it scores this much better
SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_file", pa.string()),
        ("title", pa.string()),
        ("page_number", pa.int32()),
        ("text", pa.string()),
        ("quality", pa.float32()),
        ("method", pa.string()),
    ]
)
# pages.parquet also carries the original workflow's columns, which its users script against:
# `text_raw` (the extracted text, OCR's where it replaced the page), `quality_score` (the
# project's score, as `quality`) and `extract_method` in the original's words.
PAGES_SCHEMA = SCHEMA.append(pa.field("text_raw", pa.string()))
PAGES_SCHEMA = PAGES_SCHEMA.append(pa.field("quality_score", pa.float32()))
PAGES_SCHEMA = PAGES_SCHEMA.append(pa.field("extract_method", pa.string()))
ORIGINAL_METHOD = {"text": "digital", "ocr": "ocr", "html": "html"}


@dataclass(frozen=True)
class ExtractSettings:
    allow_ocr: bool
    ocr_threshold: float
    ocr_language: str
    workers: int = field(default=0, metadata={"fingerprint": False})  # speed, not output


def extract_file(task: tuple[dict[str, Any], str]) -> dict[str, Any]:
    """Pages of one manifest entry; `error` says why a file could not be read."""
    entry, path = task
    reader = read_pdf if entry["format"] == "pdf" else read_html
    try:
        title, texts = reader(Path(path))
    except UnreadableFile as exc:
        return {**entry, "error": str(exc), "pages": []}
    title = title or Path(entry["source_file"]).stem.replace("_", " ")
    method = "text" if entry["format"] == "pdf" else "html"
    pages = [
        {
            "doc_id": entry["doc_id"],
            "source_file": entry["source_file"],
            "title": title,
            "page_number": number,
            "text": text,
            "quality": text_quality(text),
            "method": method,
        }
        for number, text in enumerate(texts, 1)
    ]
    return {**entry, "error": None, "pages": pages}


def with_original_columns(page: dict[str, Any]) -> dict[str, Any]:
    """The page with the original workflow's column names beside the project's own."""
    return {
        **page,
        "text_raw": page["text"],
        "quality_score": page["quality"],
        "extract_method": ORIGINAL_METHOD[page["method"]],
    }


class Extractor(PipelineStep):
    name = "extract"
    settings: ExtractSettings

    def inputs(self, paths: PipelinePaths) -> list[Path]:
        # The files themselves, not only the manifest: a manual replaced without re-running
        # the manifest stage is read anew, so its content must count.
        manifest = paths.interim(MANIFEST)
        if not manifest.is_file():
            return [manifest]
        names = pq.read_table(manifest, columns=["source_file"])["source_file"].to_pylist()
        return [manifest, *(paths.source_dir / name for name in names)]

    def outputs(self, paths: PipelinePaths) -> list[Path]:
        return [paths.interim(PAGES)]

    def conditions(self, paths: PipelinePaths, stats: PipelineStats) -> Any:
        return {"ocr_available": self.settings.allow_ocr and ocr.ocr_available()}

    def process(self, paths: PipelinePaths, tracker: Tracker, stats: PipelineStats) -> dict:
        manifest = read_rows(paths.interim(MANIFEST), "manifest")
        tasks = [(entry, str(paths.source_dir / entry["source_file"])) for entry in manifest]
        files = ordered_map(
            extract_file,
            tasks,
            workers=worker_count(self.settings.workers),
            on_done=lambda done: tracker.advance(done, len(tasks)),
        )
        failed = [
            {"source_file": f["source_file"], "reason": f["error"]} for f in files if f["error"]
        ]
        for failure in failed:
            tracker.ctx.event(
                f"skipped unreadable file {failure['source_file']}", level="warning", data=failure
            )
        self.drop("unreadable_file", len(failed))
        counts = _ocr_low_quality_pages(self.settings, paths, files, tracker)
        pages = [page for f in files for page in f["pages"]]
        write_table(paths.interim(PAGES), [with_original_columns(p) for p in pages], PAGES_SCHEMA)
        return {
            "files": len(files),
            "files_failed": len(failed),
            "failed_files": failed,
            "total_pages": len(pages),
            "pages_with_text": sum(1 for p in pages if p["text"].strip()),
            **counts,
        }


def _ocr_low_quality_pages(
    settings: ExtractSettings, paths: PipelinePaths, files: list[dict], tracker: Tracker
) -> dict[str, Any]:
    """Run OCR where asked and possible; the counts say what happened to low-quality pages."""
    low = {
        f["source_file"]: [p for p in f["pages"] if p["quality"] < settings.ocr_threshold]
        for f in files
        if f["format"] == "pdf"
    }
    low = {name: pages for name, pages in low.items() if pages}
    total = sum(map(len, low.values()))
    counts: dict[str, Any] = {
        "low_quality_pages": total,
        "ocr_available": ocr.ocr_available(),
        "ocr_pages": 0,
        "ocr_replaced": 0,
        "pages_without_ocr": 0,
        "ocr_errors": [],
    }
    if not settings.allow_ocr or not total:
        return counts
    if not counts["ocr_available"]:
        counts["pages_without_ocr"] = total
        tracker.ctx.event(
            f"ocrmypdf is not installed: {total} low-quality page(s) left without OCR",
            level="warning",
        )
        return counts
    for source_file, pages in low.items():
        tracker.ctx.check_cancelled()
        try:
            texts = ocr.ocr_pages(
                paths.source_dir / source_file,
                [p["page_number"] - 1 for p in pages],
                settings.ocr_language,
            )
        except ocr.OcrFailed as exc:
            counts["pages_without_ocr"] += len(pages)
            counts["ocr_errors"].append({"source_file": source_file, "reason": str(exc)})
            tracker.ctx.event(f"OCR failed on {source_file}: {exc}", level="warning")
            continue
        counts["ocr_pages"] += len(pages)
        for page, text in zip(pages, texts, strict=True):
            quality = text_quality(text)
            if quality >= page["quality"] + OCR_MARGIN:
                page.update(text=text, quality=quality, method="ocr")
                counts["ocr_replaced"] += 1
    tracker.ctx.event("OCR done", data={k: v for k, v in counts.items() if k != "ocr_errors"})
    return counts
