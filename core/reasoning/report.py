"""The files of a reasoning validation: metrics.csv, summary.md, report.json, raw/ transcripts."""

import csv
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from core.reasoning.generate import Conversation
from core.reasoning.metrics import RunMetrics

FILES = {"metrics": "metrics.csv", "summary": "summary.md", "report": "report.json", "raw": "raw"}


def raw_name(run: RunMetrics) -> str:
    return f"{run.run_type}__{run.prompt_id}__seed{run.seed}.json"


def write_files(
    folder: Path, report: dict[str, Any], conversations: list[Conversation], runs: list[RunMetrics]
) -> None:
    """Write every file of the report into `folder` (a staging folder, published whole)."""
    (folder / FILES["raw"]).mkdir()
    for conversation, run in zip(conversations, runs, strict=True):
        transcript = {
            "metrics": asdict(run),
            "messages": conversation.messages,
            "turns": [asdict(turn) for turn in conversation.turns],
        }
        (folder / FILES["raw"] / raw_name(run)).write_text(json.dumps(transcript, indent=2))
    with (folder / FILES["metrics"]).open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(RunMetrics)])
        writer.writeheader()
        writer.writerows(asdict(run) for run in runs)
    (folder / FILES["summary"]).write_text(summary_markdown(report))
    (folder / FILES["report"]).write_text(json.dumps(report, indent=2) + "\n")


def summary_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Reasoning validation: {report['verdict']}",
        "",
        f"Model `{report['model']['model_path']}`"
        + (
            f" with adapter `{report['model']['adapter_path']}`"
            if report["model"]["adapter_path"]
            else ""
        )
        + f"; greedy decoding, {report['decoding']['max_new_tokens']} new tokens per turn, "
        f"context {report['decoding']['ctx_size']}, seeds {report['decoding']['seeds']}.",
        "",
        "| metric | rate | threshold | |",
        "| --- | --- | --- | --- |",
    ]
    for name, rate in report["rates"].items():
        threshold = report["thresholds"][name]
        verdict = "no runs" if rate is None else "pass" if rate >= threshold else "**FAIL**"
        lines.append(f"| {name} | {'-' if rate is None else rate} | {threshold} | {verdict} |")
    lines += [
        "",
        "## Runs",
        "",
        "| run | prompt | seed | [THINK] | [/THINK] | balanced | answer | all turns | raw |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in report["runs"]:
        name = raw_name(RunMetrics(**run))
        lines.append(
            f"| {run['run_type']} | {run['prompt_id']} | {run['seed']} | {run['think_open_count']}"
            f" | {run['think_close_count']} | {_yes(run['balanced_think_tags'])}"
            f" | {_yes(run['has_final_after_think'])} | {_yes(run['multi_turn_retained'])}"
            f" | [{name}](raw/{name}) |"
        )
    return "\n".join(lines) + "\n"


def _yes(value: bool) -> str:
    return "yes" if value else "no"
