"""Benchmark what the job machinery costs a training run: `c64ft run train` against the trainer.

Builds a workspace (the tiny model, the bundled sample corpus, its datasets), then trains the
tiny model for a fixed number of optimizer steps, alternating two ways, each in a fresh
subprocess with a fresh output folder and datasets cache: (a) the job, `python -m c64ft run
train` (spec validation, the runner, ConsoleContext, JobCallback: metric rows, progress, the
checkpoint at the last step); (b) direct, this script with `--direct`, which builds the same
Trainer (DAPT) or SFTTrainer (SFT) from the same TrainSpec with `core.training.phases.arguments`
and no JobCallback, and calls `.train()`. Prints the median trainer-measured `train_runtime`
(the training loop) and wall-clock per way, the ratio job/direct, and PASS/MISS against the
target (training loop job/direct <= 1.03) and against a quiet machine (other processes kept
<= 0.2 cores busy during every run, else the times are noise).

Run: python bench/bench_train.py [--phase sft] [--steps 200] [--repeats 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MODEL = "models/tiny-ministral3"
TARGET = 1.03  # job / direct, training loop
BUSY = 0.2  # cores kept busy by other processes during a run, above which the times are noise
SETTINGS = {
    "model_path": MODEL,
    "batch_size": 4,
    "grad_accum": 1,
    "learning_rate": 0.002,
    "max_length": 512,
    "gradient_checkpointing": False,
    "allow_cpu": True,
    "logging_steps": 10,
    "eval_strategy": "no",
    "merge_adapter": False,
}


def make_workspace() -> Path:
    """The tiny model, the sample corpus and the datasets built from them (not timed)."""
    from c64ft.console import ConsoleContext
    from core.kinds.build_datasets.runner import run
    from core.kinds.build_datasets.spec import BuildDatasetsSpec
    from core.sample_corpus import sample_corpus_dir
    from core.tiny_model import make_tiny_model

    workspace = Path(tempfile.mkdtemp(prefix="c64ft-bench-train-"))
    os.environ["C64FT_WORKSPACE"] = str(workspace)
    make_tiny_model(workspace / MODEL)
    shutil.copytree(sample_corpus_dir(), workspace / "c64_docs")
    spec = BuildDatasetsSpec(
        kind="build_datasets",
        model_path=MODEL,
        block_size=256,
        stride=32,
        min_chunk_tokens=64,
        min_dapt_chunks=20,
    )
    run(spec, ConsoleContext(workspace=workspace))
    return workspace


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (steal included) since boot, from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n")[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def child_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def job_command(fields: dict) -> list[str]:
    args = [
        f"--{k.replace('_', '-')}={v if isinstance(v, str) else json.dumps(v)}"
        for k, v in fields.items()
        if k != "kind"
    ]
    return [sys.executable, "-m", "c64ft", "run", "train", *args]


def measure(way: str, fields: dict, workspace: Path, run_name: str) -> dict:
    """One training run in a fresh subprocess; its figures and the wall-clock seconds."""
    fields = {**fields, "output_dir": f"models/{run_name}"}
    command = (
        job_command(fields)
        if way == "job"
        else [sys.executable, __file__, "--direct", json.dumps(fields)]
    )
    env = {
        **os.environ,
        "C64FT_WORKSPACE": str(workspace),
        "PYTHONPATH": str(REPO),
        "C64FT_ALLOWED_BASE_MODELS": json.dumps([MODEL]),
        "HF_DATASETS_CACHE": str(workspace / "cache" / run_name),
    }
    log = workspace / "logs" / f"{run_name}.log"
    log.parent.mkdir(exist_ok=True)
    busy, ours, started = busy_seconds(), child_seconds(), time.perf_counter()
    with log.open("w") as stderr:
        done = subprocess.run(
            command, cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    wall = time.perf_counter() - started
    others = (busy_seconds() - busy - (child_seconds() - ours)) / wall
    if done.returncode:
        sys.exit(f"{way} run failed ({done.returncode}); see {log}:\n{log.read_text()[-3000:]}")
    result = json.loads(done.stdout)
    figures = result["phases"][fields["phase"]] if way == "job" else result
    return {**figures, "wall_s": wall, "others": others}


def direct(fields: dict) -> dict:
    """Train as the train runner does, without the job: no JobCallback, no report, no export."""
    from transformers import (
        DataCollatorForLanguageModeling,
        PrinterCallback,
        Trainer,
        TrainingArguments,
    )
    from trl import SFTConfig, SFTTrainer

    from c64ft.console import ConsoleContext
    from core.chat_template import DEFAULT_TEMPLATE, has_generation_blocks, load_template
    from core.kinds.train.spec import TrainSpec
    from core.specs.paths import resolve
    from core.training.data import load_splits
    from core.training.device import resolve_device
    from core.training.model import load_model, load_pretrained_tokenizer
    from core.training.phases import Phase, arguments

    spec = TrainSpec.model_validate(fields)
    workspace = Path(os.environ["C64FT_WORKSPACE"])
    model_path = resolve(workspace, spec.model_path)
    device = resolve_device(spec, ConsoleContext(workspace=workspace))  # the job's choice
    tokenizer = load_pretrained_tokenizer(model_path)
    tokenizer.chat_template = load_template(DEFAULT_TEMPLATE)
    dapt = spec.phase == "dapt"
    folder = resolve(workspace, spec.dapt_dir if dapt else spec.sft_dir)
    splits = (
        load_splits(folder, ".parquet", "text", spec.seed)
        if dapt
        else load_splits(folder, ".jsonl", "messages", spec.seed)
    )
    phase = Phase(spec.phase, resolve(workspace, spec.output_of(spec.phase)), splits, (0, 1), None)
    model = load_model(model_path, device, spec, None, None)
    if dapt:

        def tokenize(batch):
            return tokenizer(batch["text"], truncation=True, max_length=spec.max_length)

        def prepare(dataset):
            return dataset.map(tokenize, batched=True, remove_columns=["text"]) if dataset else None

        trainer: Trainer = Trainer(
            model=model,
            args=TrainingArguments(**arguments(spec, device, phase)),
            train_dataset=prepare(splits.train),
            eval_dataset=prepare(splits.validation),
            data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
            processing_class=tokenizer,
        )
    else:
        assistant_only = spec.assistant_only_loss and has_generation_blocks(tokenizer.chat_template)
        config = SFTConfig(
            **arguments(spec, device, phase),
            assistant_only_loss=assistant_only,
            max_length=spec.max_length,
            packing=spec.packing,
        )
        trainer = SFTTrainer(
            model=model,
            args=config,
            train_dataset=splits.train,
            eval_dataset=splits.validation,
            processing_class=tokenizer,
        )
    trainer.remove_callback(PrinterCallback)  # as train_phase does: stdout carries the result
    output = trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return {
        "steps": trainer.state.global_step,
        "final_train_loss": losses[-1] if losses else None,
        "runtime_s": round(output.metrics["train_runtime"], 3),
    }


def loss(run: dict) -> str:
    return "-" if run["final_train_loss"] is None else f"{run['final_train_loss']:.3f}"


def report(runs: dict[str, list[dict]], steps: int) -> bool:
    keys = ("runtime_s", "wall_s")
    median = {
        way: {k: statistics.median(r[k] for r in found) for k in keys}
        for way, found in runs.items()
    }
    print(
        f"\n{'way':<8}{'run':>4}{'steps':>7}{'train loop':>13}{'s/step':>8}{'wall':>10}"
        f"{'loss':>8}{'others':>8}"
    )
    for way, found in runs.items():
        for n, r in enumerate(found, 1):
            print(
                f"{way:<8}{n:>4}{r['steps']:>7}{r['runtime_s']:>11.2f} s"
                f"{r['runtime_s'] / r['steps']:>8.3f}{r['wall_s']:>8.2f} s"
                f"{loss(r):>8}{r['others']:>8.2f}"
            )
        m = median[way]
        print(
            f"{way:<8}{'med':>4}{'':>7}{m['runtime_s']:>11.2f} s"
            f"{m['runtime_s'] / steps:>8.3f}{m['wall_s']:>8.2f} s"
        )
    loop = median["job"]["runtime_s"] / median["direct"]["runtime_s"]
    wall = median["job"]["wall_s"] / median["direct"]["wall_s"]
    pairs = [
        j["runtime_s"] / d["runtime_s"] for j, d in zip(runs["job"], runs["direct"], strict=True)
    ]
    print(f"\njob/direct (medians): training loop {loop:.3f}, wall-clock {wall:.3f} (not a target)")
    print(f"job/direct per repetition, training loop: {', '.join(f'{p:.3f}' for p in pairs)}")
    busiest = max(r["others"] for found in runs.values() for r in found)
    checks = [
        (
            f"quiet machine: other processes kept <= {BUSY} cores busy during every run "
            f"(at most {busiest:.2f}); else the times are noise, rerun",
            busiest <= BUSY,
        ),
        (f"training loop job/direct {loop:.3f} <= {TARGET}", loop <= TARGET),
        (
            f"every run trained {steps} optimizer steps",
            all(r["steps"] == steps for found in runs.values() for r in found),
        ),
    ]
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
    return all(ok for _, ok in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phase", choices=["sft", "dapt"], default="sft")
    parser.add_argument("--steps", type=int, default=200, help="optimizer steps per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each way, alternating")
    parser.add_argument("--keep", type=Path, help="copy the workspace (with run logs) here")
    parser.add_argument("--direct", metavar="SPEC", help=argparse.SUPPRESS)  # one direct run
    args = parser.parse_args()
    if args.direct:
        print(json.dumps(direct(json.loads(args.direct))))
        return
    fields = {
        "kind": "train",
        "phase": args.phase,
        **SETTINGS,
        "max_steps": args.steps,
        "save_steps": args.steps + 1,
    }
    workspace = make_workspace()
    try:
        print(f"job:    {' '.join(job_command({**fields, 'output_dir': 'models/bench-job-N'}))}")
        print(f"direct: {sys.executable} {__file__} --direct '<the same fields as JSON>'")
        runs: dict[str, list[dict]] = {"job": [], "direct": []}
        for n in range(args.repeats):
            order = ("job", "direct") if n % 2 == 0 else ("direct", "job")
            for way in order:
                runs[way].append(measure(way, fields, workspace, f"bench-{way}-{n}"))
                r = runs[way][-1]
                print(
                    f"  {way} {n + 1}: train loop {r['runtime_s']:.2f} s, wall {r['wall_s']:.2f} s",
                    flush=True,
                )
        ok = report(runs, args.steps)
    finally:
        if args.keep:
            shutil.copytree(workspace, args.keep / workspace.name)
        shutil.rmtree(workspace, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
