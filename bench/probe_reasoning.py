"""How well a trained model keeps the THINK shape beyond the two default prompts.

Runs the validate_reasoning runner (greedy, one seed) on 20 C64 questions the sample corpus does
not phrase this way (10 in everyday words, 10 in the dataset's own question styles but on other
topics), each also as a two-turn conversation with a follow-up, and prints the rates.

    python bench/probe_reasoning.py --workspace ~/c64ft-demo --model-path models/tiny-c64
"""

import argparse
from pathlib import Path

from c64ft.console import ConsoleContext
from core.errors import JobFailure
from core.kinds.validate_reasoning.runner import run
from core.kinds.validate_reasoning.spec import Thresholds, ValidateReasoningSpec

EVERYDAY = [
    "How does the VIC-II chip decide the colour of the screen border, and how do I change it "
    "from BASIC?",
    "What does the SID chip do in the Commodore 64?",
    "How do I read the joystick in port 2?",
    "What is the KERNAL routine CHROUT used for?",
    "Explain how sprites are enabled on the VIC-II.",
    "Where is screen memory on the C64 and how do I move it?",
    "What are the CIA timers used for?",
    "How does the 6510 processor port at address 1 switch ROM banks?",
    "How do I play a note on SID voice 1?",
    "What does SYS 64738 do?",
]
TOPICS = [
    "the VIC-II border colour register",
    "the SID master volume",
    "joystick port 2",
    "the KERNAL routine CHROUT",
    "sprite enable bits",
    "screen memory",
    "the CIA timers",
    "the 6510 processor port",
    "SID voice 1",
    "the reset vector",
]
DATASET_STYLE = [f"Can you explain {t} on the Commodore 64?" for t in TOPICS[:5]] + [
    f"What should I know about {t}?" for t in TOPICS[5:]
]
FOLLOW_UPS = ["Can you give me a short example program for that?", "Can you go into more detail?"]


def probe_spec(model_path: str) -> ValidateReasoningSpec:
    questions = EVERYDAY + DATASET_STYLE
    return ValidateReasoningSpec(
        kind="validate_reasoning",
        model_path=model_path,
        allow_cpu=True,
        seeds=[0],
        output_dir="results/probe_reasoning",
        single_prompts=[{"id": f"q{i:02d}", "text": q} for i, q in enumerate(questions)],
        multi_turn_prompts=[
            {"id": f"c{i:02d}", "turns": [q, FOLLOW_UPS[i // 10]]} for i, q in enumerate(questions)
        ],
        thresholds={name: 0 for name in Thresholds.model_fields},  # measure, never fail
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=Path("."))
    parser.add_argument("--model-path", required=True, help="relative to the workspace")
    args = parser.parse_args()
    try:
        report = run(probe_spec(args.model_path), ConsoleContext(workspace=args.workspace))
    except JobFailure as exc:
        raise SystemExit(f"{exc.type}: {exc.message}") from exc
    single = [r for r in report["runs"] if r["run_type"] == "single"]
    multi = [r for r in report["runs"] if r["run_type"] == "multi"]
    print(
        f"| model | first turns kept | conversations kept (both turns) |\n| --- | --- | --- |\n"
        f"| {args.model_path} | {sum(r['retained'] for r in single)}/{len(single)} | "
        f"{sum(r['retained'] for r in multi)}/{len(multi)} |"
    )


if __name__ == "__main__":
    main()
