"""Seed step 3: run the chosen stages of the dataset pipeline, each an event with its counts.

This is the one place that reads a BuildDatasetsSpec: it gives each stage its own small
settings, so the pipeline (core/pipeline) never depends on the API's schema.
"""

from typing import Any

from core.context import RunContext
from core.errors import JobFailure
from core.kinds.build_datasets.spec import BuildDatasetsSpec
from core.pipeline.dapt import DaptBuilder, DaptSettings
from core.pipeline.dedup import Deduplicator, DedupSettings
from core.pipeline.extract import Extractor, ExtractSettings
from core.pipeline.files import PipelinePaths
from core.pipeline.layout import VERDICT_WORDS
from core.pipeline.manifest import Manifest, ManifestSettings
from core.pipeline.normalize import Normalizer, NormalizeSettings
from core.pipeline.report import ReportSettings, Validator
from core.pipeline.sft import SftBuilder, SftSettings
from core.pipeline.step import PipelineStep, run_steps
from core.publish import claim_dir
from core.specs.paths import input_roots, resolve_field

CONTRACT_HINT = (
    "Read validation_report.md in output_dir: fix the source documents or the thresholds "
    "(min_dapt_chunks, min_sft_examples, OCR), or set strict_thinking_contract: false to "
    "accept the dataset with warnings."
)


def steps_of(spec: BuildDatasetsSpec) -> list[PipelineStep]:
    """The stages `spec.stages` names, in order, each with the settings it reads."""
    s = spec
    every: list[PipelineStep] = [
        Manifest(ManifestSettings(source_dir=s.source_dir)),
        Extractor(ExtractSettings(s.allow_ocr, s.ocr_threshold, s.ocr_language, s.workers)),
        Normalizer(NormalizeSettings(s.min_chars, s.workers)),
        Deduplicator(DedupSettings(s.near_dup_threshold, s.workers)),
        DaptBuilder(DaptSettings(s.seed, s.block_size, s.stride, s.min_chunk_tokens)),
        SftBuilder(
            SftSettings(
                s.seed, s.max_examples_per_page, s.answer_chars, s.phrasings, s.excerpt_chars
            )
        ),
        Validator(
            ReportSettings(s.min_dapt_chunks, s.min_sft_examples, s.strict_thinking_contract)
        ),
    ]
    return [step for step in every if step.name in spec.stages]


READS = ("source_dir", "model_path")  # inputs: may lie under C64FT_INPUT_ROOTS


def paths_of(spec: BuildDatasetsSpec, ctx: RunContext) -> PipelinePaths:
    fields = ("source_dir", "model_path", "output_dir", "interim_dir")
    found = {
        field: resolve_field(ctx.workspace, field, getattr(spec, field), read_only=field in READS)
        for field in fields
    }
    return PipelinePaths(workspace=ctx.workspace, **found, input_roots=tuple(input_roots()))


def run(spec: BuildDatasetsSpec, ctx: RunContext) -> dict[str, Any]:
    paths = paths_of(spec, ctx)
    for folder in (paths.output_dir, paths.interim_dir):  # refused unless ours to write
        claim_dir(folder, kind=spec.kind)
    stats, timings = run_steps(steps_of(spec), paths, ctx)
    if "validate" not in stats:
        return {"stages": {name: s.counts for name, s in stats.items()}, "stage_seconds": timings}
    result = {**stats["validate"].counts, "stage_seconds": timings}
    ctx.event(
        f"validation {VERDICT_WORDS[result['verdict']]}",
        level="info" if result["ok"] else "warning",
        data={"verdict": result["verdict"], "warnings": result["warnings"]},
    )
    if result["verdict"] == "fail":
        raise JobFailure(
            "data_contract_failed",
            "; ".join(result["warnings"]),
            hint=CONTRACT_HINT,
            result=result,
        )
    return result
