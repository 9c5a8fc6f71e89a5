"""Stage `manifest`: every PDF and HTML file under the source folder, its size and sha256."""

import hashlib
from typing import Any

import pyarrow as pa

from core.digest import file_sha256
from core.errors import JobFailure
from core.pipeline.files import PipelinePaths, write_table
from core.pipeline.tracker import Tracker
from core.specs.build_datasets import BuildDatasetsSpec

SUFFIXES = {".pdf": "pdf", ".html": "html", ".htm": "html"}
MANIFEST = "manifest.parquet"
SCHEMA = pa.schema([
    ("doc_id", pa.string()),
    ("source_file", pa.string()),
    ("format", pa.string()),
    ("size_bytes", pa.int64()),
    ("sha256", pa.string()),
])  # fmt: skip


def doc_id(source_file: str) -> str:
    """Stable across runs and machines: derived from the file's path under the source folder."""
    return "doc-" + hashlib.sha256(source_file.encode()).hexdigest()[:12]


def run(spec: BuildDatasetsSpec, paths: PipelinePaths, tracker: Tracker) -> dict[str, Any]:
    if not paths.source_dir.is_dir():
        raise JobFailure(
            "source_missing",
            f"source_dir {spec.source_dir!r} is not a folder in the workspace",
            hint="Put the C64 manuals (PDF, HTML) there, or point source_dir at them.",
            param="source_dir",
        )
    files = sorted(
        p for p in paths.source_dir.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
    )
    rows = []
    for done, path in enumerate(files, 1):
        source_file = path.relative_to(paths.source_dir).as_posix()
        rows.append({
            "doc_id": doc_id(source_file),
            "source_file": source_file,
            "format": SUFFIXES[path.suffix.lower()],
            "size_bytes": path.stat().st_size,
            "sha256": file_sha256(path),
        })  # fmt: skip
        tracker.advance(done, len(files))
    if not rows:
        raise JobFailure(
            "source_empty",
            f"no PDF or HTML file under {spec.source_dir!r}",
            hint="Put the C64 manuals (.pdf, .html) in source_dir.",
            param="source_dir",
        )
    write_table(paths.interim(MANIFEST), rows, SCHEMA)
    by_format = {f: sum(r["format"] == f for r in rows) for f in ("pdf", "html")}
    return {"files": len(rows), **by_format, "bytes": sum(r["size_bytes"] for r in rows)}
