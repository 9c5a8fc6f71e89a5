"""The dataset QC report for people (`validation_report.md`): verdict, warnings, counts, THINK
coverage per split, the contract's gates."""

from typing import Any

from core.pipeline.files import SPLITS
from core.pipeline.layout import VERDICT_WORDS

VERDICT_TEXT = {
    "pass": "PASS",
    "pass_with_warnings": f"{VERDICT_WORDS['pass_with_warnings']} (strict_thinking_contract "
    "is off: the warnings below did not fail the job)",
    "fail": "FAIL (strict_thinking_contract is on: any warning fails the job)",
}

THINK_COLUMNS = (
    "assistant_messages",
    "assistant_with_think",
    "assistant_with_think_ratio",
    "conversations",
    "conversations_with_multiple_assistant_turns",
    "multi_turn_ratio",
    "unique_think_texts",
    "bad_json_lines",
)


def _thinking_lines(thinking: dict[str, Any]) -> list[str]:
    """The THINK table per split and in total, then the most frequent traces."""
    lines = ["| split | " + " | ".join(THINK_COLUMNS) + " |"]
    lines.append("| --- " * (len(THINK_COLUMNS) + 1) + "|")
    for split, row in thinking["splits"].items():
        lines.append(f"| {split} | " + " | ".join(str(row[k]) for k in THINK_COLUMNS) + " |")
    totals = [thinking.get(f"{k}_total", thinking.get(k)) for k in THINK_COLUMNS]
    lines.append("| total | " + " | ".join(map(str, totals)) + " |")
    lines += ["", "Most frequent reasoning traces (`top_think_texts`):", ""]
    lines += [f"- {t['count']} × {t['text']}" for t in thinking["top_think_texts"]] or ["- none"]
    return lines


def markdown(report: dict[str, Any]) -> str:
    """The QC report for people: verdict, warnings, counts, THINK coverage per split."""
    checks = report["checks"]
    verdict = VERDICT_TEXT[report["verdict"]]
    lines = ["# Dataset QC report", "", f"**Verdict: {verdict}**", ""]
    lines += [f"- warning: {w}" for w in report["warnings"]] or ["No warnings."]
    lines += ["", "## Pages", "", "| check | value |", "| --- | --- |"]
    for key, value in checks.items():
        if not isinstance(value, dict | list):
            lines.append(f"| {key} | {value} |")
    lines += [
        "",
        "## Datasets per split",
        "",
        "| | train | validation | test | total |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key in ("dapt_chunks", "dapt_tokens", "sft_examples"):
        lines.append(f"| {key} | " + " | ".join(str(checks[key][s]) for s in (*SPLITS, "total")))
    lines += ["", "## THINK coverage (`checks.sft_thinking`)", ""]
    lines += _thinking_lines(checks["sft_thinking"])
    lines += ["", "## Contract", "", "| gate | value |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in report["contract"].items()]
    if checks["failed_files"]:
        lines += ["", "## Unreadable files", ""]
        lines += [f"- {f['source_file']}: {f['reason']}" for f in checks["failed_files"]]
    return "\n".join(lines) + "\n"
