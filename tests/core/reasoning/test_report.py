"""The report files of a reasoning validation, from hand-written transcripts of two quants."""

import csv
import json

from core.kinds.validate_reasoning.spec import Thresholds
from core.reasoning.generate import Conversation, Turn
from core.reasoning.metrics import measure_run, summarize
from core.reasoning.report import write_files

GOOD = "[THINK]The border colour is a VIC-II register.[/THINK]POKE 53280,0 makes it black."


def conversation(quant: str, run_type: str, prompt_id: str, seed: int, replies: list[str]):
    user_turns = [f"question {i}" for i in range(len(replies))]
    talk = Conversation(run_type, quant, prompt_id, seed, user_turns, [])
    for reply in replies:
        talk.ask_next()
        talk.record(Turn("rendered", reply, 10, 5, "eos", 0.1))
    return talk


def write(folder, replies_of: dict[str, str]):
    conversations = [
        conversation(quant, run_type, prompt_id, seed, [reply] * turns)
        for quant, reply in replies_of.items()
        for seed in (11, 22)
        for run_type, prompt_id, turns in (("single", "vic", 1), ("multi", "sid", 2))
    ]
    runs = [measure_run(c.run_type, c.quant, c.prompt_id, c.seed, c.replies) for c in conversations]
    summary = summarize(runs, Thresholds().model_dump())
    report = {
        "verdict": "PASS" if summary["passed"] else "FAIL",
        **summary,
        "model": {"model_path": "models/m", "adapter_path": None},
        "decoding": {"max_new_tokens": 8, "ctx_size": 64, "seeds": [11, 22]},
    }
    write_files(folder, report, conversations, runs)
    return report


def test_runs_csv_names_each_run_and_its_log(tmp_path):
    write(tmp_path, {"Q8_0": GOOD, "F16": GOOD})
    rows = list(csv.DictReader((tmp_path / "runs.csv").open()))
    assert list(rows[0])[:4] == ["run_type", "quant", "seed", "log_path"]
    assert [(r["quant"], r["run_type"], r["seed"]) for r in rows[:4]] == [
        ("Q8_0", "single", "11"),
        ("Q8_0", "multi", "11"),
        ("Q8_0", "single", "22"),
        ("Q8_0", "multi", "22"),
    ]
    assert len(rows) == 8 and rows[-1]["quant"] == "F16"
    assert rows[1]["log_path"] == "raw/Q8_0__multi__sid__seed11.json"
    for row in rows:
        transcript = json.loads((tmp_path / row["log_path"]).read_text())
        assert transcript["metrics"]["quant"] == row["quant"]
    metrics = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    assert [m["quant"] for m in metrics] == [r["quant"] for r in rows]


def test_the_summary_shows_each_quant_against_the_thresholds(tmp_path):
    report = write(tmp_path, {"Q8_0": GOOD, "Q4_K_M": "no think at all"})
    assert report["quants"]["Q8_0"]["passed"] and not report["passed"]
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("# Reasoning validation: FAIL")
    assert "| metric | threshold | Q8_0 | Q4_K_M |" in summary
    assert "| single_think_tag_rate | 0.95 | 1.0 pass | 0.0 **FAIL** |" in summary
    assert "| multi_turn_retention_rate | 0.9 | 1.0 pass | 0.0 **FAIL** |" in summary
    assert "| verdict | | PASS | **FAIL** |" in summary
    assert "Overall: **FAIL**" in summary
    assert "[raw/Q4_K_M__single__vic__seed22.json](raw/Q4_K_M__single__vic__seed22.json)" in summary
    assert json.loads((tmp_path / "report.json").read_text()) == report
