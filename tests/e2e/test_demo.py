"""The README quick start: `c64ft demo` in an empty folder starts its own service, runs the
whole workflow on the tiny model, and passes the reasoning contract; the untrained tiny model,
validated the same way, fails it."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from core.pipeline.layout import VERDICT_WORDS


@pytest.mark.timeout(1200)  # about 5 minutes of CPU training, on a shared machine
def test_the_demo_passes_in_an_empty_folder_and_the_untrained_model_fails(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")}
    demo = subprocess.run(
        [sys.executable, "-m", "c64ft", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = demo.stdout + demo.stderr
    logs = "\n".join(p.read_text() for p in (tmp_path / "data/logs/demo").glob("*.log"))
    assert demo.returncode == 0, output + logs
    assert "verdict: PASS" in output
    assert (tmp_path / "c64_docs/vic_ii.pdf").is_file()  # the sample corpus, copied

    database = sqlite3.connect(tmp_path / "data/c64ft.db")
    ((workflow_id, status, result),) = database.execute(
        "SELECT id, status, result FROM job WHERE kind = 'workflow'"
    ).fetchall()
    assert status == "succeeded"
    children = database.execute(
        "SELECT kind, status FROM job WHERE parent_id = ? ORDER BY created_at", (workflow_id,)
    ).fetchall()
    assert children == [
        ("gpu_smoke", "succeeded"),
        ("build_datasets", "succeeded"),
        ("train", "succeeded"),
        ("export", "succeeded"),
        ("validate_reasoning", "succeeded"),
    ]
    result = json.loads(result)
    assert result["verdict"] == "PASS"
    summary = tmp_path / result["reports"]["reasoning"]
    assert summary.read_text().startswith("# Reasoning validation: PASS")
    assert str(summary) in output and (tmp_path / result["reports"]["datasets"]).is_file()
    # The datasets report and the demo's summary line tell the same verdict.
    datasets = tmp_path / result["reports"]["datasets"]
    verdict = json.loads(datasets.with_suffix(".json").read_text())["verdict"]
    assert verdict != "fail" and f"datasets: {VERDICT_WORDS[verdict]}" in output
    markdown = datasets.read_text()
    assert "Verdict: FAIL" not in markdown
    assert verdict == "pass" or "**Verdict: passed with warnings" in markdown
    report = json.loads((summary.parent / "report.json").read_text())
    assert list(report["quants"]) == ["Q8_0", "F16"]  # under llama.cpp, each file on its own
    assert report["model"]["gguf_dir"] == "models/tiny-c64-gguf"
    assert all(block["passed"] for block in report["quants"].values()), report["quants"]
    gguf = tmp_path / "models/tiny-c64-gguf"
    for quant in ("F16", "Q8_0", "Q4_K_M"):  # the summary names each file and its size
        assert f"GGUF {quant}" in output and str(gguf / f"tiny-c64-{quant}.gguf") in output
    assert "ollama create c64-demo -f Modelfile.Q8_0" in output

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "c64ft", "run", *args]
        return subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )

    exported = run("export", "--model-path", "models/tiny-ministral3", "--quants", '["Q8_0"]')
    assert exported.returncode == 0, exported.stderr
    untrained = run(
        "validate_reasoning",
        "--allow-cpu",
        "--gguf-dir",
        "models/tiny-ministral3-gguf",
        "--quants",
        '["Q8_0"]',
        "--output-dir",
        "results/untrained",
    )
    assert untrained.returncode == 1, untrained.stderr
    assert "reasoning_contract_failed" in untrained.stderr
    assert "FAIL" in (tmp_path / "results/untrained/summary.md").read_text()
