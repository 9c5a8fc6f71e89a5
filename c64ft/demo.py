"""`c64ft demo`: the whole seed workflow on the sample corpus and the tiny model, on a CPU.

It prepares the workspace (sample corpus, tiny model), starts the service unless given one,
submits one `workflow`, shows a progress bar per step, and prints where the reports are and
the reasoning verdict.
"""

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from c64ft import client as api_client
from c64ft.corpus import copy_sample_corpus
from c64ft.processes import free_port, log_dir, start_all, stop_all
from c64ft.progress import ProgressLines
from core.config import get_settings
from core.pipeline.layout import VERDICT_WORDS

MODEL = "models/tiny-ministral3"
START_TIMEOUT_S = 60.0
POLL_S = 0.5
PROGRESS_EVERY_S = 30.0  # without a terminal (a log file, CI): a progress line at least this often
console = Console(stderr=True, soft_wrap=True)  # paths stay whole, to copy or grep


def workflow_spec() -> dict[str, Any]:
    """Settings that fit a CPU in a few minutes. The tiny model is random, so it is trained
    whole (use_lora off): a LoRA adapter on frozen random weights does not learn the THINK shape
    in minutes. Short answers put more of the loss on the shape. A missing ocrmypdf only warns
    (strict_thinking_contract off): the quick start must not need it."""
    return {
        "kind": "workflow",
        "metadata": {"source": "c64ft demo"},
        "gpu_smoke": {"allow_cpu": True, "matrix_size": 256},
        "build_datasets": {
            "model_path": MODEL,
            "block_size": 256,
            "stride": 32,
            "min_chunk_tokens": 64,
            "min_dapt_chunks": 20,
            "answer_chars": 300,
            "excerpt_chars": 300,  # as long as an answer: CPU time grows with the examples
            "phrasings": 6,
            "strict_thinking_contract": False,
        },
        "train": {
            "model_path": MODEL,
            "output_dir": "models/tiny-c64",
            "allow_cpu": True,
            "phase": "sft",
            "use_lora": False,
            "max_steps": 1000,
            "batch_size": 4,
            "grad_accum": 1,
            "learning_rate": 0.003,
            "max_length": 1024,
            "gradient_checkpointing": False,
            "warmup_steps": 10,
            "logging_steps": 50,
            "save_steps": 500,
            "eval_steps": 500,
            # the demo's reasoning checks were tuned on the last step's weights
            "load_best_model_at_end": False,
        },
        "export": {"quants": ["F16", "Q8_0", "Q4_K_M"]},
        "validate_reasoning": {"allow_cpu": True},  # under llama.cpp: the Q8_0 and F16 files
    }


def prepare_workspace(workspace: Path) -> None:
    """The sample corpus in c64_docs/ and the tiny model in models/, unless already there."""
    docs = workspace / "c64_docs"
    # A checkout's c64_docs/ holds only .gitkeep: that counts as empty. Other files are kept.
    if not any(f.is_file() and not f.name.startswith(".") for f in docs.rglob("*")):
        copy_sample_corpus(docs)
        console.print(f"copied the sample corpus to {docs}")
    if not (workspace / MODEL / "config.json").is_file():
        from core.tiny_model import make_tiny_model

        make_tiny_model(workspace / MODEL)
        console.print(f"built the tiny model in {workspace / MODEL}")


@contextmanager
def local_service(workspace: Path):
    """The API and a gpu and a cpu worker on a free port, logging under data/logs/demo/;
    yields the API's URL and stops them all on the way out."""
    port = free_port()
    logs = log_dir(workspace, "demo")
    allowed = [*get_settings().allowed_base_models, MODEL]
    env = os.environ | {
        "C64FT_WORKSPACE": str(workspace),
        "C64FT_ALLOWED_BASE_MODELS": json.dumps(allowed),
    }
    me = [sys.executable, "-m", "c64ft"]
    children = start_all(
        {
            "api": [*me, "serve", "--port", str(port)],
            "worker-gpu": [*me, "worker", "--queues", "gpu"],
            "worker-cpu": [*me, "worker", "--queues", "cpu"],
        },
        env=env,
        log_dir=logs,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, children, logs)
        yield url
    finally:
        console.print("stopping the service")
        stop_all(children)


def _wait_ready(url: str, children: dict, logs: Path) -> None:
    """Until /health answers ok with both workers alive."""
    deadline = time.monotonic() + START_TIMEOUT_S
    with console.status(f"starting the API and two workers (logs: {logs})"):
        while time.monotonic() < deadline:
            if dead := [name for name, child in children.items() if child.poll() is not None]:
                raise RuntimeError(f"{', '.join(dead)} exited at start; see {logs}")
            try:
                health = httpx.get(f"{url}/health", timeout=2).json()
                if health.get("status") == "ok" and health.get("workers", 0) >= len(children) - 1:
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
    raise RuntimeError(f"the service did not start in {START_TIMEOUT_S:.0f} s; see {logs}")


def follow(http: httpx.Client, workflow_id: str) -> dict[str, Any]:
    """A progress bar per step until the workflow ends; returns the workflow."""
    steps = api_client.read_job(http, workflow_id)["spec"]["steps"]
    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bars = {
            step: progress.add_task(step, total=1.0, note="waiting", start=False) for step in steps
        }
        shown: dict[str, str] = {}
        lines = ProgressLines(console.file, PROGRESS_EVERY_S, on_change=False)
        losses: dict[str, api_client.LatestLoss] = {}
        while True:
            workflow = api_client.read_job(http, workflow_id)
            for entry in (workflow["result"] or {}).get("steps", []):
                child = api_client.read_job(http, entry["job_id"])
                note = f"{child['status']}" + (f" · {child['stage']}" if child["stage"] else "")
                fraction = child["progress"]["fraction"] or 0.0
                done = child["status"] == "succeeded"
                if child["status"] != "queued":  # each bar's clock starts when its step runs
                    progress.start_task(bars[entry["step"]])
                if child["status"] in api_client.TERMINAL:
                    progress.stop_task(bars[entry["step"]])
                progress.update(bars[entry["step"]], completed=1.0 if done else fraction, note=note)
                if shown.get(entry["step"]) != note and not console.is_terminal:
                    console.print(f"{entry['step']}: {note}")  # a log line where no bar is drawn
                if child["status"] == "running" and not console.is_terminal:
                    loss = losses.setdefault(child["id"], api_client.LatestLoss(http, child["id"]))
                    lines.update(child, loss)
                shown[entry["step"]] = note
            if workflow["status"] in api_client.TERMINAL:
                return workflow
            time.sleep(POLL_S)


def show_export(result: dict[str, Any], workspace: Path) -> None:
    """The GGUF files with their sizes, and how to run one with Ollama and llama.cpp."""
    folder = workspace / result["output_dir"]
    for entry in result["files"]:
        console.print(
            f"GGUF {entry['quant']:<7} {folder / entry['file']} ({entry['bytes'] / 1e6:.1f} MB)"
        )
    q8 = next((e for e in result["files"] if e["quant"] == "Q8_0"), result["files"][0])
    if "modelfile" in q8:
        create = f"ollama create c64-demo -f {q8['modelfile']}"
        console.print(f"run it with Ollama: cd {folder} && {create} && ollama run c64-demo")
    console.print(f"or with llama.cpp: llama-cli -m {folder / q8['file']}")


def datasets_summary(http: httpx.Client, steps: list[dict[str, Any]]) -> str | None:
    """The datasets step's verdict in its report's words, with the warnings it passed with."""
    step = next((s for s in steps if s["step"] == "build_datasets" and s["job_id"]), None)
    result = (api_client.read_job(http, step["job_id"])["result"] or {}) if step else {}
    if "verdict" not in result:
        return None
    warnings = result["warnings"]
    listed = f" ({len(warnings)}): " + "; ".join(warnings) if warnings else ""
    return f"datasets: {VERDICT_WORDS[result['verdict']]}{listed}"


def report(http: httpx.Client, workflow: dict[str, Any], workspace: Path) -> bool:
    """Print each step, where the reports are and the verdict; True only on PASS."""
    result = workflow["result"] or {}
    console.print(
        f"\nworkflow {workflow['id']}: {workflow['status']} "
        f"in {workflow['progress']['elapsed_s']:.0f} s"
    )
    for entry in result.get("steps", []):
        console.print(
            f"  {entry['step']:<20} {entry['status']:<10} {entry['job_id']}"
            + (f"  ({entry['error']})" if entry["error"] else "")
        )
    if workflow["error"]:
        console.print(f"error: {workflow['error']['message']}\nhint: {workflow['error']['hint']}")
    reports = result.get("reports", {})
    if summary := datasets_summary(http, result.get("steps", [])):
        console.print(summary)
    for name in ("datasets", "reasoning"):
        if reports.get(name):
            console.print(f"{name} report: {workspace / reports[name]}")
    for name, path in (reports.get("model") or {}).items():
        console.print(f"{name}: {workspace / path}")
    export = next((s for s in result.get("steps", []) if s["step"] == "export"), None)
    if export and export["status"] == "succeeded":
        show_export(api_client.read_job(http, export["job_id"])["result"], workspace)
    verdict = result.get("verdict")
    validation = next(
        (s for s in result.get("steps", []) if s["step"] == "validate_reasoning"), None
    )
    if validation and verdict:
        quants = api_client.read_job(http, validation["job_id"])["result"]["quants"]
        for quant, block in quants.items():
            rates = ", ".join(f"{k} {v}" for k, v in block["rates"].items())
            console.print(f"reasoning contract ({quant}): {rates}")
    console.print(f"verdict: {verdict or 'none (validation did not run)'}")
    return workflow["status"] == "succeeded" and verdict == "PASS"
