"""The files of a reasoning validation: runs.csv, metrics.csv, summary.md, report.json, raw/."""

import csv
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from core.reasoning.generate import Conversation
from core.reasoning.metrics import RATES, RunMetrics, meets

FILES = {
    "runs": "runs.csv",
    "metrics": "metrics.csv",
    "summary": "summary.md",
    "report": "report.json",
    "raw": "raw",
}
RUN_COLUMNS = ["run_type", "quant", "seed", "log_path", "prompt_id"]


def log_path(run: RunMetrics) -> str:
    """Where a run's transcript is, relative to the output folder."""
    return f"{FILES['raw']}/{run.quant}__{run.run_type}__{run.prompt_id}__seed{run.seed}.json"


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
        (folder / log_path(run)).write_text(json.dumps(transcript, indent=2))
    _write_csv(folder / FILES["runs"], RUN_COLUMNS, [_run_row(run) for run in runs])
    columns = [f.name for f in fields(RunMetrics)]
    _write_csv(folder / FILES["metrics"], columns, [asdict(run) for run in runs])
    (folder / FILES["summary"]).write_text(summary_markdown(report))
    (folder / FILES["report"]).write_text(json.dumps(report, indent=2) + "\n")


def _run_row(run: RunMetrics) -> dict[str, Any]:
    row = {name: getattr(run, name) for name in RUN_COLUMNS if name != "log_path"}
    return {**row, "log_path": log_path(run)}


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _validated(model: dict[str, Any]) -> str:
    """What ran: the exported files under llama.cpp, or the Hugging Face model."""
    if model.get("runtime") == "llama_cpp":
        return f"The GGUF files of `{model['gguf_dir']}` under llama.cpp"
    adapter = f" with adapter `{model['adapter_path']}`" if model["adapter_path"] else ""
    return f"Model `{model['model_path']}`{adapter} under transformers"


def summary_markdown(report: dict[str, Any]) -> str:
    """The report for people: the model, the rates of each quant against the thresholds, the
    verdict, then one row per run."""
    decoding = report["decoding"]
    lines = [
        f"# Reasoning validation: {report['verdict']}",
        "",
        f"{_validated(report['model'])}; greedy decoding, {decoding['max_new_tokens']} "
        f"new tokens per turn, context {decoding['ctx_size']}, seeds {decoding['seeds']}.",
        "",
        *_rates_table(report),
        "",
        f"Overall: **{report['verdict']}** (PASS only when every quant passes).",
        "",
        "## Runs",
        "",
        "| quant | run | prompt | seed | [THINK] | [/THINK] | both tags | balanced | answer "
        "| all turns | raw |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in report["runs"]:
        path = log_path(RunMetrics(**run))
        flags = ("has_think_tag", "balanced_think_tags", "has_final_after_think", "retained")
        lines.append(
            f"| {run['quant']} | {run['run_type']} | {run['prompt_id']} | {run['seed']} "
            f"| {run['think_open_count']} | {run['think_close_count']} | "
            + " | ".join(_yes(run[flag]) for flag in flags)
            + f" | [{path}]({path}) |"
        )
    return "\n".join(lines) + "\n"


def _rates_table(report: dict[str, Any]) -> list[str]:
    """One row per metric, one column per quant: its rate and whether it meets the threshold."""
    quants = report["quants"]
    lines = [
        "| metric | threshold | " + " | ".join(quants) + " |",
        "| --- | --- |" + " --- |" * len(quants),
    ]
    for name in RATES:
        threshold = report["thresholds"][name]
        cells = [_cell(name, block, threshold) for block in quants.values()]
        lines.append(f"| {name} | {threshold} | " + " | ".join(cells) + " |")
    verdicts = ["PASS" if block["passed"] else "**FAIL**" for block in quants.values()]
    lines.append("| verdict | | " + " | ".join(verdicts) + " |")
    return lines


def _cell(name: str, block: dict[str, Any], threshold: float) -> str:
    run_type, _ = RATES[name]
    passed = meets(block["rates"][name], threshold, block["run_counts"][run_type])
    return f"{block['rates'][name]} {'pass' if passed else '**FAIL**'}"


def _yes(value: bool) -> str:
    return "yes" if value else "no"
