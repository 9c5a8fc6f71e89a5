"""Stage `normalize`: Unicode NFKC, no control characters, tidy whitespace, and the running
headers and footers of each document removed. Case and C64 symbols (`$D020`, `#$FF`,
`POKE 53280,0`) are kept as they are."""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from core.pipeline.extract import PAGES, SCHEMA
from core.pipeline.files import PipelinePaths, read_rows, write_table
from core.pipeline.parallel import ordered_map, worker_count
from core.pipeline.quality import text_quality
from core.pipeline.stats import PipelineStats
from core.pipeline.step import PipelineStep
from core.pipeline.tracker import Tracker

NORMALIZED = "normalized.parquet"
EDGE_LINES = 2  # header/footer candidates: this many lines at the top and at the bottom
REPEAT_SHARE = 0.5  # a candidate seen on this share of a document's pages is boilerplate
MIN_PAGES_FOR_REPEATS = 3


@dataclass(frozen=True)
class NormalizeSettings:
    min_chars: int
    workers: int = field(default=0, metadata={"fingerprint": False})  # speed, not output


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\xa0]+")
_DIGITS = re.compile(r"\d+")


def clean_text(text: str) -> str:
    """NFKC, control characters dropped, runs of spaces collapsed, at most one blank line."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(lambda m: "\n" if m.group() in "\x0b\x0c\u2028\u2029" else "", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _signature(line: str) -> str:
    # "Page 3" and "Page 4" are the same footer.
    return _DIGITS.sub("#", line.casefold())


def _edges(lines: list[str]) -> list[tuple[int, str]]:
    content = [i for i, line in enumerate(lines) if line]
    picked = sorted(set(content[:EDGE_LINES] + content[-EDGE_LINES:]))
    return [(i, _signature(lines[i])) for i in picked]


def strip_repeated_lines(texts: list[str]) -> tuple[list[str], int]:
    """Remove header/footer lines repeating on many of one document's pages; (texts, removed)."""
    if len(texts) < MIN_PAGES_FOR_REPEATS:
        return texts, 0
    pages = [text.split("\n") for text in texts]
    edges = [_edges(lines) for lines in pages]
    seen = Counter(sig for page_edges in edges for sig in {s for _, s in page_edges})
    repeated = {sig for sig, n in seen.items() if n >= max(2, REPEAT_SHARE * len(texts))}
    removed, result = 0, []
    for lines, page_edges in zip(pages, edges, strict=True):
        drop = {i for i, sig in page_edges if sig in repeated}
        removed += len(drop)
        kept = "\n".join(line for i, line in enumerate(lines) if i not in drop)
        result.append(re.sub(r"\n{3,}", "\n\n", kept).strip())
    return result, removed


def normalize_document(pages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """One document's pages, normalized; returns them with the count of boilerplate lines."""
    texts, removed = strip_repeated_lines([clean_text(page["text"]) for page in pages])
    return [
        {**page, "text": text, "quality": text_quality(text)}
        for page, text in zip(pages, texts, strict=True)
    ], removed


class Normalizer(PipelineStep):
    name = "normalize"
    settings: NormalizeSettings

    def inputs(self, paths: PipelinePaths) -> list[Path]:
        return [paths.interim(PAGES)]

    def outputs(self, paths: PipelinePaths) -> list[Path]:
        return [paths.interim(NORMALIZED)]

    def process(self, paths: PipelinePaths, tracker: Tracker, stats: PipelineStats) -> dict:
        pages = read_rows(paths.interim(PAGES), "extract")
        documents = [list(group) for _, group in groupby(pages, key=lambda p: p["doc_id"])]
        normalized = ordered_map(
            normalize_document,
            documents,
            workers=worker_count(self.settings.workers),
            on_done=lambda done: tracker.advance(done, len(documents)),
        )
        kept = [
            page
            for document_pages, _ in normalized
            for page in document_pages
            if len(page["text"]) >= self.settings.min_chars
        ]
        self.drop("too_short", len(pages) - len(kept))
        write_table(paths.interim(NORMALIZED), kept, SCHEMA)
        return {
            "pages_in": len(pages),
            "pages_kept": len(kept),
            "pages_too_short": len(pages) - len(kept),
            "boilerplate_lines_removed": sum(removed for _, removed in normalized),
        }
