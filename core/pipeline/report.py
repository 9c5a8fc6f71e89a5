"""Stage `validate`: the data contract checked on what is on disk, `validation_report.json`
(also the job's result) and a Markdown QC report beside it."""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from core.pipeline.build_marker import check_same_build
from core.pipeline.files import SPLITS, PipelinePaths, require, write_json
from core.pipeline.layout import REPORT_JSON, REPORT_MD
from core.pipeline.report_markdown import markdown
from core.pipeline.sft import MIN_QUALITY
from core.pipeline.stats import PipelineStats
from core.pipeline.step import PipelineStep
from core.pipeline.tracker import Tracker
from core.publish import publishing
from core.think import think_shape

CONTRACT = {  # the original workflow's gates (docs/design.md, "Contracts carried over")
    "min_coverage_ratio": 0.80,
    "min_think_ratio": 0.995,
    "min_unique_think_texts": 8,
    "min_multi_turn_ratio": 0.15,
    "max_bad_json_lines": 0,
    # Applied by build_sft before it makes examples of a page: the original's 0.62, on the
    # project's quality score (its equivalent, see core/pipeline/sft.py).
    "min_sft_page_quality": MIN_QUALITY,
    "sft_page_quality_score": "c64ft text_quality (core/pipeline/quality.py)",
}
UPSTREAM = ("extract", "normalize", "dedup")  # the stages whose counts the report repeats
TOP_THINK_TEXTS = 8  # how many of the most frequent traces the report lists, as the original


@dataclass(frozen=True)
class ReportSettings:
    min_dapt_chunks: int
    min_sft_examples: int
    strict: bool = True  # a warning fails the job (strict_thinking_contract)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def thinking_of(path: Path) -> tuple[dict[str, Any], Counter[str]]:
    """THINK coverage of one jsonl split (the original's field names), and how often each
    reasoning trace occurs, its whitespace normalised."""
    assistant = with_think = conversations = multi_turn = bad = 0
    traces: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            messages = json.loads(line)["messages"]
            turns = [m["content"] for m in messages if m["role"] == "assistant"]
        except (ValueError, KeyError, TypeError):
            bad += 1
            continue
        conversations += 1
        multi_turn += len(turns) > 1
        for turn in turns:
            shape = think_shape(turn)
            assistant += 1
            with_think += shape.well_formed
            if shape.well_formed:
                traces[" ".join(shape.trace.split())] += 1
    return {
        "assistant_messages": assistant,
        "assistant_with_think": with_think,
        "assistant_with_think_ratio": _ratio(with_think, assistant),
        "conversations": conversations,
        "conversations_with_multiple_assistant_turns": multi_turn,
        "multi_turn_ratio": _ratio(multi_turn, conversations),
        "unique_think_texts": len(traces),
        "bad_json_lines": bad,
    }, traces


def sft_thinking(sft_dir: Path) -> dict[str, Any]:
    """`checks.sft_thinking` as the original writes it: each split under `splits`, the totals
    at the top level (plus `unique_think_texts` and `bad_json_lines` per split)."""
    splits, traces = {}, Counter[str]()
    for split in SPLITS:
        splits[split], found = thinking_of(require(sft_dir / f"{split}.jsonl", "build_sft"))
        traces.update(found)

    def total(key: str) -> int:
        return sum(row[key] for row in splits.values())

    assistant, with_think = total("assistant_messages"), total("assistant_with_think")
    conversations = total("conversations")
    multi_turn = total("conversations_with_multiple_assistant_turns")
    return {
        "splits": splits,
        "assistant_messages_total": assistant,
        "assistant_with_think_total": with_think,
        "assistant_with_think_ratio": _ratio(with_think, assistant),
        "conversations_total": conversations,
        "conversations_with_multiple_assistant_turns_total": multi_turn,
        # The original's top level names this total without the suffix: both are written.
        "conversations_with_multiple_assistant_turns": multi_turn,
        "multi_turn_ratio": _ratio(multi_turn, conversations),
        "unique_think_texts": len(traces),
        "top_think_texts": [
            {"text": text, "count": count} for text, count in traces.most_common(TOP_THINK_TEXTS)
        ],
        "bad_json_lines": total("bad_json_lines"),
    }


def _per_split(counts: dict[str, int]) -> dict[str, int]:
    return {**counts, "total": sum(counts.values())}


def collect_checks(paths: PipelinePaths, stats: PipelineStats) -> dict[str, Any]:
    extract, normalize, dedup = (stats.counts(stage) for stage in UPSTREAM)
    dapt = {
        s: pq.read_table(
            require(paths.dapt_dir / f"{s}.parquet", "build_dapt"), columns=["token_count"]
        )
        for s in SPLITS
    }
    thinking = sft_thinking(paths.sft_dir)
    return {
        "files": extract["files"],
        "files_failed": extract["files_failed"],
        "failed_files": extract["failed_files"],
        "total_pages": extract["total_pages"],
        "pages_with_text": extract["pages_with_text"],
        "coverage_ratio": _ratio(extract["pages_with_text"], extract["total_pages"]),
        "low_quality_pages": extract["low_quality_pages"],
        "ocr_pages": extract["ocr_pages"],
        "ocr_replaced": extract["ocr_replaced"],
        "pages_without_ocr": extract["pages_without_ocr"],
        "pages_too_short": normalize["pages_too_short"],
        "boilerplate_lines_removed": normalize["boilerplate_lines_removed"],
        "dedup_pages": dedup["dedup_pages"],
        "duplicates_removed": dedup["duplicates_removed"],
        "exact_duplicates": dedup["exact_duplicates"],
        "near_duplicates": dedup["near_duplicates"],
        "dapt_chunks": _per_split({s: t.num_rows for s, t in dapt.items()}),
        "dapt_tokens": _per_split({s: sum(t["token_count"].to_pylist()) for s, t in dapt.items()}),
        "sft_examples": _per_split({s: thinking["splits"][s]["conversations"] for s in SPLITS}),
        "sft_thinking": thinking,
    }


def contract_warnings(checks: dict[str, Any], settings: ReportSettings) -> list[str]:
    """Every gate of the contract that the checks miss, in words."""
    thinking, warnings = checks["sft_thinking"], []
    if checks["coverage_ratio"] < CONTRACT["min_coverage_ratio"]:
        limit = CONTRACT["min_coverage_ratio"]
        warnings.append(
            f"extraction coverage {checks['coverage_ratio']:.4f} < {limit} (pages with text "
            "out of all pages: image-only pages need OCR)"
        )
    if thinking["assistant_with_think_ratio"] < CONTRACT["min_think_ratio"]:
        limit = CONTRACT["min_think_ratio"]
        warnings.append(f"THINK coverage {thinking['assistant_with_think_ratio']:.4f} < {limit}")
    if thinking["unique_think_texts"] < CONTRACT["min_unique_think_texts"]:
        limit = CONTRACT["min_unique_think_texts"]
        warnings.append(f"{thinking['unique_think_texts']} distinct reasoning traces < {limit}")
    if thinking["multi_turn_ratio"] < CONTRACT["min_multi_turn_ratio"]:
        limit = CONTRACT["min_multi_turn_ratio"]
        warnings.append(f"multi-turn share {thinking['multi_turn_ratio']:.4f} < {limit}")
    if thinking["bad_json_lines"] > CONTRACT["max_bad_json_lines"]:
        warnings.append(f"{thinking['bad_json_lines']} unparseable SFT jsonl line(s)")
    if checks["dapt_chunks"]["total"] < settings.min_dapt_chunks:
        warnings.append(
            f"{checks['dapt_chunks']['total']} DAPT chunks < min_dapt_chunks "
            f"{settings.min_dapt_chunks}"
        )
    if checks["sft_examples"]["total"] < settings.min_sft_examples:
        warnings.append(
            f"{checks['sft_examples']['total']} SFT examples < min_sft_examples "
            f"{settings.min_sft_examples}"
        )
    if checks["pages_without_ocr"]:
        warnings.append(
            f"{checks['pages_without_ocr']} low-quality page(s) left without OCR "
            "(ocrmypdf missing or failed: see the extract stage's events)"
        )
    return warnings


def verdict_of(warnings: list[str], strict: bool) -> str:
    """`pass` without warnings; with some, `fail` under the strict contract (the job fails),
    else `pass_with_warnings`."""
    if not warnings:
        return "pass"
    return "fail" if strict else "pass_with_warnings"


class Validator(PipelineStep):
    name = "validate"
    own_record = True  # the report is the job's result and its own file
    settings: ReportSettings

    def inputs(self, paths: PipelinePaths) -> list[Path]:
        return [paths.dapt_dir, paths.sft_dir]

    def outputs(self, paths: PipelinePaths) -> list[Path]:
        return [paths.output_dir / REPORT_JSON, paths.output_dir / REPORT_MD]

    def conditions(self, paths: PipelinePaths, stats: PipelineStats) -> Any:
        return {s: saved.counts if (saved := stats.get(s)) else None for s in UPSTREAM}

    def process(self, paths: PipelinePaths, tracker: Tracker, stats: PipelineStats) -> dict:
        # A report on a mixed pair describes neither.
        check_same_build(paths.dapt_dir, paths.sft_dir)
        checks = collect_checks(paths, stats)
        warnings = contract_warnings(checks, self.settings)
        report = {
            "ok": not warnings,
            "verdict": verdict_of(warnings, self.settings.strict),
            "warnings": warnings,
            "checks": checks,
            "contract": {
                **CONTRACT,
                "min_dapt_chunks": self.settings.min_dapt_chunks,
                "min_sft_examples": self.settings.min_sft_examples,
                "strict_thinking_contract": self.settings.strict,
            },
        }
        write_json(paths.output_dir / REPORT_JSON, report)
        with publishing(paths.output_dir / REPORT_MD) as temporary:
            temporary.write_text(markdown(report))
        tracker.advance(1, 1)
        return report
