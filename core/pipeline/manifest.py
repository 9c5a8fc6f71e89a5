"""Stage `manifest`: every PDF and HTML file under the source folder, its size and sha256.

Symlinks are followed only while they stay inside the workspace or an input root
(C64FT_INPUT_ROOTS): a link to a file or folder elsewhere is listed as skipped and never read
(a spec may only read the workspace and the input roots)."""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from core.digest import file_sha256
from core.errors import JobFailure
from core.pipeline.files import PipelinePaths, write_table
from core.pipeline.stats import PipelineStats
from core.pipeline.step import PipelineStep
from core.pipeline.tracker import Tracker

SUFFIXES = {".pdf": "pdf", ".html": "html", ".htm": "html"}
MANIFEST = "manifest.parquet"
SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_file", pa.string()),
        ("format", pa.string()),
        ("size_bytes", pa.int64()),
        ("sha256", pa.string()),
    ]
)


def doc_id(source_file: str) -> str:
    """Stable across runs and machines: derived from the file's path under the source folder."""
    return "doc-" + hashlib.sha256(source_file.encode()).hexdigest()[:12]


def source_files(
    source_dir: Path, workspace: Path, roots: tuple[Path, ...] = ()
) -> tuple[list[Path], list[str]]:
    """The PDF and HTML files under `source_dir`, and the links (relative to it) that lead
    outside `workspace` and the input `roots`, which are skipped without being opened."""
    allowed = [workspace.resolve(), *roots]
    found: list[Path] = []
    outside: list[str] = []
    seen: set[Path] = set()  # a folder reached twice (a link loop) is walked once

    def leaves(path: Path) -> bool:
        if any(path.resolve().is_relative_to(folder) for folder in allowed):
            return False
        outside.append(path.relative_to(source_dir).as_posix())
        return True

    for folder, dirs, names in os.walk(source_dir, followlinks=True):
        here = Path(folder)
        if here.resolve() in seen:
            dirs.clear()
            continue
        seen.add(here.resolve())
        # pruned before os.walk lists them: a folder outside is not even listed
        dirs[:] = [d for d in dirs if not leaves(here / d)]
        for name in names:
            path = here / name
            if path.suffix.lower() in SUFFIXES and not leaves(path) and path.is_file():
                found.append(path)
    return sorted(found), sorted(outside)


@dataclass(frozen=True)
class ManifestSettings:
    source_dir: str  # as the spec names it, for messages


class Manifest(PipelineStep):
    name = "manifest"
    settings: ManifestSettings

    def _listing(self, paths: PipelinePaths) -> tuple[list[Path], list[str]]:
        if not paths.source_dir.is_dir():
            return [], []  # process() says why
        return source_files(paths.source_dir, paths.workspace, paths.input_roots)

    def inputs(self, paths: PipelinePaths) -> list[Path]:
        return self._listing(paths)[0]

    def outputs(self, paths: PipelinePaths) -> list[Path]:
        return [paths.interim(MANIFEST)]

    def conditions(self, paths: PipelinePaths, stats: PipelineStats) -> Any:
        return {"outside_workspace": self._listing(paths)[1]}  # counted and named in events

    def process(self, paths: PipelinePaths, tracker: Tracker, stats: PipelineStats) -> dict:
        if not paths.source_dir.is_dir():
            raise JobFailure(
                "source_missing",
                f"source_dir {self.settings.source_dir!r} is not a folder in the workspace",
                hint="Put the C64 manuals (PDF, HTML) there, or point source_dir at them.",
                param="source_dir",
            )
        files, outside = self._listing(paths)
        if outside:
            tracker.ctx.event(
                f"skipped {len(outside)} link(s) leading outside the workspace: "
                f"{', '.join(outside)}",
                level="warning",
                data={"outside_workspace": outside},
            )
            self.drop("outside_workspace", len(outside))
        rows = []
        for done, path in enumerate(files, 1):
            rows.append(_entry(path, paths.source_dir))
            tracker.advance(done, len(files))
        if not rows:
            raise JobFailure(
                "source_empty",
                f"no PDF or HTML file under {self.settings.source_dir!r}",
                hint="Put the C64 manuals (.pdf, .html) in source_dir.",
                param="source_dir",
            )
        write_table(paths.interim(MANIFEST), rows, SCHEMA)
        by_format = {f: sum(r["format"] == f for r in rows) for f in ("pdf", "html")}
        return {
            "files": len(rows),
            **by_format,
            "bytes": sum(r["size_bytes"] for r in rows),
            "skipped_outside_workspace": len(outside),
            "outside_workspace": outside,
        }


def _entry(path: Path, source_dir: Path) -> dict[str, Any]:
    source_file = path.relative_to(source_dir).as_posix()
    return {
        "doc_id": doc_id(source_file),
        "source_file": source_file,
        "format": SUFFIXES[path.suffix.lower()],
        "size_bytes": path.stat().st_size,
        "sha256": file_sha256(path),
    }
