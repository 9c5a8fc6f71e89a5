"""Seed step 3: run the chosen stages of the dataset pipeline, each an event with its counts."""

import time
from typing import Any

from core.context import RunContext
from core.errors import JobFailure
from core.kinds.build_datasets.spec import BuildDatasetsSpec
from core.pipeline import dapt, dedup, extract, manifest, normalize, report, sft
from core.pipeline.files import PipelinePaths, write_json
from core.pipeline.tracker import Tracker
from core.publish import claim_dir

STAGES = {
    "manifest": manifest.run,
    "extract": extract.run,
    "normalize": normalize.run,
    "dedup": dedup.run,
    "build_dapt": dapt.run,
    "build_sft": sft.run,
    "validate": report.run,
}
CONTRACT_HINT = (
    "Read validation_report.md in output_dir: fix the source documents or the thresholds "
    "(min_dapt_chunks, min_sft_examples, OCR), or set strict_thinking_contract: false to "
    "accept the dataset with warnings."
)


def run(spec: BuildDatasetsSpec, ctx: RunContext) -> dict[str, Any]:
    try:
        paths = PipelinePaths.of(spec, ctx.workspace)
    except ValueError as exc:
        raise JobFailure("path_outside_workspace", str(exc)) from exc
    for folder in (paths.output_dir, paths.interim_dir):  # refused unless ours to write
        claim_dir(folder, kind=spec.kind)
    timings: dict[str, float] = {}
    counts: dict[str, Any] = {}
    for index, stage in enumerate(spec.stages):
        ctx.set_stage(stage, f"stage {index + 1}/{len(spec.stages)}: {stage}")
        started = time.perf_counter()
        counts[stage] = STAGES[stage](spec, paths, Tracker(ctx, index, len(spec.stages)))
        timings[stage] = round(time.perf_counter() - started, 3)
        if stage != "validate":  # the report is its own record
            write_json(paths.interim(f"{stage}.json"), counts[stage])
            ctx.event(f"{stage} done in {timings[stage]:.2f} s", data=counts[stage])
    if "validate" not in counts:
        return {"stages": counts, "stage_seconds": timings}
    result = {**counts["validate"], "stage_seconds": timings}
    ctx.event(
        f"validation {'passed' if result['ok'] else 'has warnings'}",
        level="info" if result["ok"] else "warning",
        data={"warnings": result["warnings"]},
    )
    if not result["ok"] and spec.strict_thinking_contract:
        raise JobFailure(
            "data_contract_failed",
            "; ".join(result["warnings"]),
            hint=CONTRACT_HINT,
            result=result,
        )
    return result
