"""Stage `manifest` lists the workspace's manuals and never follows a link out of it."""

import pyarrow.parquet as pq

from core.pipeline.manifest import source_files
from tests.core.pipeline.conftest import build
from tests.core.pipeline.corpus import write_html

SECRET = "Secret outside the workspace"


def test_links_leading_outside_the_workspace_are_skipped_and_never_read(
    workspace, tmp_path_factory
):
    source, outside = workspace / "c64_docs", tmp_path_factory.mktemp("outside")
    write_html(source / "sid.html", "SID", {"Voices": "The SID voice at $D400 " * 20})
    write_html(outside / "secret.html", SECRET, {SECRET: f"{SECRET}. " * 40})
    (outside / "folder").mkdir()
    write_html(outside / "folder" / "more.html", SECRET, {SECRET: f"{SECRET}. " * 40})
    (source / "leak.html").symlink_to(outside / "secret.html")
    (source / "leaked_folder").symlink_to(outside / "folder", target_is_directory=True)
    # a link that stays inside the workspace is followed as before
    write_html(workspace / "extra" / "cia.html", "CIA", {"Timers": "A CIA timer at $DC04 " * 20})
    (source / "inside.html").symlink_to(workspace / "extra" / "cia.html")

    result, ctx = build(workspace, stages=["manifest", "extract"])

    counts = result["stages"]["manifest"]
    assert counts["files"] == 2 and counts["skipped_outside_workspace"] == 2
    assert counts["outside_workspace"] == ["leak.html", "leaked_folder"]
    rows = pq.read_table(workspace / "data/interim/manifest.parquet").to_pylist()
    assert sorted(r["source_file"] for r in rows) == ["inside.html", "sid.html"]
    warnings = [m for stage, level, m, _ in ctx.events if level == "warning"]
    assert any(stage == "manifest" and "leak.html" in m for stage, _, m, _ in ctx.events)
    assert any("leaked_folder" in m for m in warnings)
    pages = (workspace / "data/interim").rglob("*")
    assert not any(SECRET.encode() in p.read_bytes() for p in pages if p.is_file())


def test_a_link_loop_is_walked_once(tmp_path):
    source = tmp_path / "c64_docs"
    write_html(source / "a" / "vic.html", "VIC", {"Raster": "raster"})
    (source / "a" / "loop").symlink_to(source, target_is_directory=True)
    found, outside = source_files(source, tmp_path)
    assert [p.relative_to(source).as_posix() for p in found] == ["a/vic.html"] and outside == []
