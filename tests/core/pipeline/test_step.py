"""The step base: one stats record per stage, and a re-run that skips what has not changed."""

import json
import random
from pathlib import Path

import pytest

from core.kinds.build_datasets.spec import STAGES
from core.pipeline import ocr, step
from core.pipeline.stats import STATS
from tests.core.pipeline.conftest import build, plain_corpus
from tests.core.pipeline.corpus import technical_page, write_pdf


def skipped(ctx) -> list[str]:
    return [stage for stage, _, _, data in ctx.events if data and data.get("skipped")]


def ran(ctx) -> list[str]:
    """The stages this job ran (each sends at least one event) rather than skipped."""
    seen = {stage for stage, _, _, _ in ctx.events}
    return [stage for stage in STAGES if stage in seen and stage not in skipped(ctx)]


def saved_stats(workspace: Path) -> dict:
    return json.loads((workspace / "data/interim" / STATS).read_text())


@pytest.fixture
def built(workspace):
    plain_corpus(workspace / "c64_docs", documents=3, pages=2)
    first, ctx = build(workspace, run_id="one")
    assert skipped(ctx) == []
    return first


def test_a_rerun_with_nothing_changed_skips_every_stage_and_says_so(workspace, built):
    before = {p: p.read_bytes() for p in (workspace / "data").rglob("*") if p.is_file()}
    again, ctx = build(workspace, run_id="two")
    assert skipped(ctx) == list(STAGES)
    notes = [m for _, _, m, d in ctx.events if d and d.get("skipped")]
    assert all("unchanged since run one" in m for m in notes)
    assert {**again, "stage_seconds": None} == {**built, "stage_seconds": None}
    after = {p: p.read_bytes() for p in (workspace / "data").rglob("*") if p.is_file()}
    assert after == before  # nothing rewritten, not even build.json's run id
    assert ctx.fractions[-1] == 1.0


def test_named_stages_are_skipped_too_when_their_inputs_are_unchanged(workspace, built):
    _, ctx = build(workspace, stages=["build_sft", "validate"])
    assert skipped(ctx) == ["build_sft", "validate"]


def test_a_changed_setting_reruns_its_stage_and_those_its_output_feeds(workspace, built):
    _, ctx = build(workspace, block_size=48, stride=8)
    assert ran(ctx) == ["build_dapt", "validate"]  # build_sft does not read block_size

    fewer_pages = {"min_chars": 1100, "strict_thinking_contract": False}
    _, ctx = build(workspace, block_size=48, stride=8, **fewer_pages)
    assert ran(ctx) == ["normalize", "dedup", "build_dapt", "build_sft", "validate"]


def test_a_changed_source_file_reruns_every_stage(workspace, built):
    write_pdf(workspace / "c64_docs/manual0.pdf", [technical_page(random.Random(9))])
    _, ctx = build(workspace)
    assert ran(ctx) == list(STAGES)


def test_speed_settings_do_not_rerun_anything(workspace, built):
    _, ctx = build(workspace, workers=1)
    assert ran(ctx) == []


def test_an_output_edited_or_deleted_since_is_rebuilt(workspace, built):
    (workspace / "data/processed/dapt/build.json").unlink()
    _, ctx = build(workspace)
    assert ran(ctx) == ["build_dapt", "validate"]
    assert (workspace / "data/processed/dapt/build.json").is_file()


def test_a_stage_whose_output_comes_out_the_same_lets_the_next_stages_skip(
    workspace, built, monkeypatch
):
    # Installing (or removing) ocrmypdf may change what extract writes, so extract runs again;
    # no page here needs OCR, its pages come out the same, and normalize onwards are still
    # done; validate repeats extract's counts (which name the change), so it runs too.
    installed = ocr.ocr_available()
    monkeypatch.setattr("core.pipeline.ocr.ocr_available", lambda: not installed)
    _, ctx = build(workspace)
    assert ran(ctx) == ["extract", "validate"]


def test_a_code_change_reruns_every_stage(workspace, built, monkeypatch):
    monkeypatch.setattr(step, "code_digest", lambda: "another version")
    _, ctx = build(workspace)
    assert ran(ctx) == list(STAGES)


def test_stats_hold_counts_drop_reasons_and_the_completion_marker(workspace):
    rng = random.Random(3)
    page = technical_page(rng)
    source = workspace / "c64_docs"
    write_pdf(source / "a.pdf", [page, technical_page(rng), "Too short."])
    write_pdf(source / "b.pdf", [page])  # a reprint: an exact duplicate
    build(workspace, run_id="one", strict_thinking_contract=False)
    stats = saved_stats(workspace)
    assert list(stats) == list(STAGES)
    for stage, entry in stats.items():
        assert set(entry) == {"counts", "dropped", "seconds", "run_id", "marker"}, stage
        assert entry["run_id"] == "one" and entry["marker"]["inputs"], stage
        if stage != "validate":  # the report is its own record
            on_disk = json.loads((workspace / f"data/interim/{stage}.json").read_text())
            assert entry["counts"] == on_disk
    assert stats["normalize"]["dropped"] == {"too_short": 1}
    assert stats["dedup"]["dropped"] == {"exact_duplicate": 1}
    assert stats["build_sft"]["dropped"] == stats["build_sft"]["counts"]["pages_skipped"]
    checks = stats["validate"]["counts"]["checks"]
    assert checks["pages_too_short"] == 1 and checks["exact_duplicates"] == 1


def test_the_pipeline_does_not_depend_on_the_job_specs():
    pipeline = Path(step.__file__).parent
    importing = [p.name for p in pipeline.glob("*.py") if "core.specs" in p.read_text()]
    assert importing == []


def test_an_interim_folder_from_before_stats_json_still_validates(workspace, built):
    (workspace / "data/interim" / STATS).unlink()  # what the earlier pipeline left
    result, ctx = build(workspace, stages=["validate"])
    assert ran(ctx) == ["validate"]
    assert result["checks"] == built["checks"]  # the counts read from <stage>.json
