"""Reasoning validation of the same prompts under llama.cpp (an exported GGUF file) and under
transformers (the Hugging Face model it was exported from), side by side.

Runs the validate_reasoning runner once per runtime (greedy, the default prompts and seeds 11,
22, 33, 192 new tokens) and prints, per runtime, the turns and new tokens generated, the job's
wall time (loading included: transformers batches the conversations, llama.cpp runs them one
by one, so per-turn times do not compare), new tokens per wall second and the verdict. Record
results in RESULTS.md.

    python bench/bench_validation_runtimes.py --workspace ~/c64ft-demo \
        --model-path models/tiny-c64 --gguf-dir models/tiny-c64-gguf --quant Q8_0
"""

import argparse
import json
import time
from pathlib import Path

from c64ft.console import ConsoleContext
from core.errors import JobFailure
from core.kinds.validate_reasoning.runner import run
from core.kinds.validate_reasoning.spec import ValidateReasoningSpec


def measure(workspace: Path, fields: dict, label: str) -> dict:
    """One validation; its figures from the transcripts it wrote."""
    output = f"results/bench_runtimes/{label}"
    spec = ValidateReasoningSpec.model_validate(
        {"kind": "validate_reasoning", "allow_cpu": True, "output_dir": output, **fields}
    )
    ctx = ConsoleContext(workspace=workspace)
    ctx.run_id = f"bench_{label}"
    started = time.monotonic()
    try:
        report = run(spec, ctx)
    except JobFailure as failure:
        report = failure.result or {}
    wall = time.monotonic() - started
    turns = [
        turn
        for log in (workspace / output / "raw").glob("*.json")
        for turn in json.loads(log.read_text())["turns"]
    ]
    tokens = sum(turn["new_tokens"] for turn in turns)
    return {
        "runtime": label,
        "turns": len(turns),
        "new_tokens": tokens,
        "tokens_per_s": tokens / wall,
        "wall_s": wall,
        "verdict": report.get("verdict", "-"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--model-path", required=True, help="the merged (or fully trained) model")
    parser.add_argument("--gguf-dir", required=True, help="its export folder")
    parser.add_argument("--quant", default="Q8_0")
    args = parser.parse_args()
    workspace = args.workspace.expanduser().resolve()
    rows = [
        measure(
            workspace,
            {"runtime": "llama_cpp", "gguf_dir": args.gguf_dir, "quants": [args.quant]},
            f"llama_cpp-{args.quant}",
        ),
        measure(
            workspace, {"runtime": "transformers", "model_path": args.model_path}, "transformers"
        ),
    ]
    print("| runtime | turns | new tokens | wall s | new tokens / wall s | verdict |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['runtime']} | {r['turns']} | {r['new_tokens']} | {r['wall_s']:.1f} | "
            f"{r['tokens_per_s']:.0f} | {r['verdict']} |"
        )


if __name__ == "__main__":
    main()
