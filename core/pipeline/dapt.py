"""Stage `build_dapt`: each document's text cut into token windows of `block_size` that overlap
by `stride` tokens (a trailing window under `min_chunk_tokens` is dropped, but a document
shorter than that still gives its one window, as in the original workflow), one parquet per
split. `token_start` is the window's first token in its document, so overlaps can be checked."""

from bisect import bisect_right
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import pyarrow as pa

from core.pipeline.build_marker import write_marker
from core.pipeline.dedup import DEDUPED
from core.pipeline.files import SPLITS, PipelinePaths, read_rows, write_table
from core.pipeline.splits import assign_splits
from core.pipeline.stats import PipelineStats
from core.pipeline.step import PipelineStep
from core.pipeline.tracker import Tracker
from core.publish import publishing_dir
from core.tokenizer import load_tokenizer

PAGE_SEPARATOR = "\n\n"
DOCS_PER_BATCH = 64
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("doc_id", pa.string()),
        ("source_file", pa.string()),
        ("page_start", pa.int32()),
        ("page_end", pa.int32()),
        ("text", pa.string()),
        ("token_count", pa.int32()),
        ("token_start", pa.int32()),
    ]
)


@dataclass(frozen=True)
class DaptSettings:
    seed: int
    block_size: int
    stride: int
    min_chunk_tokens: int


def window_starts(n_tokens: int, block: int, stride: int, min_tokens: int) -> list[int]:
    """First token of each window; the last window ends the text and is kept if long enough.
    The first window is always kept: a short document (a note, one page) is still DAPT text."""
    starts, step = [], block - stride
    for start in range(0, n_tokens, step):
        if start == 0 or n_tokens - start >= min(block, min_tokens):
            starts.append(start)
        if start + block >= n_tokens:
            break
    return starts


def chunk_document(pages: list[dict], encoding, settings: DaptSettings) -> list[dict[str, Any]]:
    page_starts, position = [], 0
    for page in pages:
        page_starts.append(position)
        position += len(page["text"]) + len(PAGE_SEPARATOR)
    text = PAGE_SEPARATOR.join(page["text"] for page in pages)
    offsets, n_tokens = encoding.offsets, len(encoding.ids)

    def page_at(char: int) -> int:
        return pages[bisect_right(page_starts, char) - 1]["page_number"]

    chunks = []
    for index, start in enumerate(
        window_starts(n_tokens, settings.block_size, settings.stride, settings.min_chunk_tokens)
    ):
        end = min(start + settings.block_size, n_tokens)
        first, last = offsets[start][0], offsets[end - 1][1]
        chunks.append(
            {
                "id": f"{pages[0]['doc_id']}-c{index:05d}",
                "doc_id": pages[0]["doc_id"],
                "source_file": pages[0]["source_file"],
                "page_start": page_at(first),
                "page_end": page_at(max(first, last - 1)),
                "text": text[first:last],
                "token_count": end - start,
                "token_start": start,
            }
        )
    return chunks


class DaptBuilder(PipelineStep):
    name = "build_dapt"
    settings: DaptSettings

    def inputs(self, paths: PipelinePaths) -> list[Path]:
        return [paths.interim(DEDUPED), paths.model_path / "tokenizer.json"]

    def outputs(self, paths: PipelinePaths) -> list[Path]:
        return [paths.dapt_dir]

    def process(self, paths: PipelinePaths, tracker: Tracker, stats: PipelineStats) -> dict:
        pages = read_rows(paths.interim(DEDUPED), "dedup")
        tokenizer = load_tokenizer(paths.model_path)
        documents = [list(group) for _, group in groupby(pages, key=lambda p: p["doc_id"])]
        splits = assign_splits((doc[0]["doc_id"] for doc in documents), self.settings.seed)
        rows: dict[str, list[dict]] = {split: [] for split in SPLITS}
        tokens = dict.fromkeys(SPLITS, 0)
        done_pages = 0
        for start in range(0, len(documents), DOCS_PER_BATCH):
            batch = documents[start : start + DOCS_PER_BATCH]
            texts = [PAGE_SEPARATOR.join(page["text"] for page in doc) for doc in batch]
            # encode_batch runs on every core (Rust threads).
            encodings = tokenizer.encode_batch(texts, add_special_tokens=False)
            for doc, encoding in zip(batch, encodings, strict=True):
                split = splits[doc[0]["doc_id"]]
                rows[split] += chunk_document(doc, encoding, self.settings)
                tokens[split] += len(encoding.ids)
                done_pages += len(doc)
            tracker.advance(done_pages, len(pages))
        self._publish(paths, rows, tracker)
        counts = {split: len(split_rows) for split, split_rows in rows.items()}
        return {
            "documents": len(documents),
            "dapt_chunks": {**counts, "total": sum(counts.values())},
            "document_tokens": {**tokens, "total": sum(tokens.values())},
            "documents_per_split": {s: sum(v == s for v in splits.values()) for s in SPLITS},
        }

    def _publish(self, paths: PipelinePaths, rows: dict[str, list[dict]], tracker: Tracker):
        with publishing_dir(paths.dapt_dir, kind="build_datasets") as folder:
            for split, split_rows in rows.items():
                write_table(folder / f"{split}.parquet", split_rows, SCHEMA)
            write_marker(
                folder,
                run_id=tracker.ctx.run_id,
                stage=self.name,
                pages=paths.interim(DEDUPED),
                seed=self.settings.seed,
            )
