"""Benchmark SFT of Ministral-3-8B's shapes on one GPU: real tokens/s, MFU, peak memory, step time.

Builds a randomly initialised Mistral3ForConditionalGeneration whose language tower has the
shapes of `Ministral3Config`'s defaults (Ministral-3-8B: hidden 4096, 34 layers, 32 heads, 8 KV
heads, head_dim 128, intermediate 14336, vocab 131072; no download), directly on the GPU in bf16,
and trains it with TRL's SFTTrainer built by the service's own `core.training.phases.sft_trainer`
(assistant-only loss, sdpa attention) on synthetic chat examples with the length spread of our
SFT set (`SPREAD`), for a fixed number of steps per row, each row in a fresh process:

    lora                 LoRA r16 on the language q/k/v/o, padded batches
    lora-packing         the same, packed (TRL's BFD packing, padding-free: position ids reset)
    lora-liger           padded batches, Liger kernels (`core.training.liger.apply_liger`)
    lora-packing-liger   packed, Liger kernels
    full-packing         every weight trained, packed, at `--full-layers` layers (8B's weights,
                         gradients and AdamW state alone take ~70 GB: 34 layers do not fit)

For each row it prints real (non-padding) tokens/s, MFU, peak GPU memory (allocated tensors)
and step time p50/p99 over the timed steps (after `--warmup` steps). MFU counts the useful
FLOPs of the real tokens: 4 per frozen weight per token with LoRA (forward and the gradient
of the input), 6 per trained weight, plus causal attention over each example's own length
(6·L²·heads·head_dim per layer per example); no credit for recomputation or padding. A row
that cannot run (Liger not installed, out of memory) prints why instead of figures.
`--record PATH` writes the rows to a throughput table (core/kinds/train/throughput.json's
format) that the dry run reads; `--tiny` runs the same code on the CPU with tiny shapes.

Run: python bench/bench_gpu_train.py [--steps 20] [--warmup 3] [--batch-size 4]
     [--max-length 2048] [--rows ROW ...] [--full-layers 12] [--peak-tflops X]
     [--budget-s 450] [--record PATH] [--json [PATH]] [--tiny]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ROWS: dict[str, dict[str, bool]] = {
    "lora": {"use_lora": True, "packing": False, "liger": False},
    "lora-packing": {"use_lora": True, "packing": True, "liger": False},
    "lora-liger": {"use_lora": True, "packing": False, "liger": True},
    "lora-packing-liger": {"use_lora": True, "packing": True, "liger": True},
    "full-packing": {"use_lora": False, "packing": True, "liger": False},
}
# Dense bf16 tensor-core peak, TFLOPS, by a part of the card's name (first match wins, so the
# more specific names come first). Vendor data sheets, without sparsity.
PEAK_TFLOPS = (
    ("GH200", 989.4),
    ("H200", 989.4),
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.4),
    ("H800", 989.4),
    ("B200", 2250.0),
    ("A100", 312.0),
    ("A800", 312.0),
    ("L40S", 362.0),
    ("L40", 181.0),
    ("L4", 121.0),
    ("A6000", 154.8),
    ("RTX 4090", 165.2),
    ("A10", 125.0),
    ("MI300X", 1307.4),
    ("MI325X", 1307.4),
)
GOALS = {  # the goal on one H100, for LoRA SFT at max_length 2048
    "tokens_per_second": 10_000,
    "mfu": 0.40,
    "peak_memory_bytes": 40e9,
    "packing_speedup": 1.5,
}
TINY_TEXT = {  # core.tiny_model's language tower, for --tiny
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 32,
    "vocab_size": 2048,
}
TINY_VISION = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "image_size": 64,
    "patch_size": 16,
}
TINY_SHRINK = 8  # --tiny: examples and max_length 8x shorter
FIRST_ID = 16  # synthetic token ids start above the control and image tokens


def draw_example(rng: random.Random) -> list[tuple[int, int]]:
    """One chat example's turns as (prompt tokens, completion tokens), drawn like our SFT set.

    The sample corpus's SFT set at the demo's settings (build_datasets `phrasings` 4; the
    characters of each turn / 4, about Ministral's tokens per character of English): a system
    prompt and question of ~176 tokens, a quarter of the examples (each page's first wording)
    with the manual's excerpt (480-600 tokens in all); two thirds one turn with an answer of
    60-290 tokens (median ~245), one third a two-turn follow-up (an overview of 57-125 tokens,
    a question of ~13, a detail of 90-300). Whole examples: 250-1,100 tokens, median ~470.
    """
    prompt = rng.randint(480, 600) if rng.random() < 0.25 else rng.randint(171, 181)
    if rng.random() < 2 / 3:
        return [(prompt, round(rng.triangular(60, 290, 270)))]
    return [
        (prompt, rng.randint(57, 125)),
        (rng.randint(11, 15), round(rng.triangular(90, 300, 270))),
    ]


def synthetic_dataset(count: int, vocab: int, seed: int, shrink: int = 1):
    """Pre-tokenized examples with `assistant_masks` (1 on completion tokens): TRL builds the
    labels from the mask (-100 elsewhere), as assistant-only loss does from the chat template.
    `shrink` divides every length (--tiny: with max_length as much shorter, packing is alike)."""
    from datasets import Dataset

    rng = random.Random(seed)
    rows: dict[str, list[list[int]]] = {"input_ids": [], "assistant_masks": []}
    for _ in range(count):
        ids: list[int] = []
        mask: list[int] = []
        for drawn in draw_example(rng):
            prompt, completion = (max(1, n // shrink) for n in drawn)
            ids += [rng.randrange(FIRST_ID, vocab) for _ in range(prompt + completion)]
            mask += [0] * prompt + [1] * completion
        rows["input_ids"].append(ids)
        rows["assistant_masks"].append(mask)
    return Dataset.from_dict(rows)


def bench_tokenizer():
    """A tokenizer for TRL's pad and EOS tokens only: the data is already token ids."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "<pad>": 3}
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="<unk>")),
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
    )


def build_model(tiny: bool, layers: int | None, device):
    """Mistral3ForConditionalGeneration with Ministral3Config's default text shapes (or the
    tiny ones), randomly initialised directly on the device in its dtype."""
    import torch
    from transformers import (
        Ministral3Config,
        Mistral3Config,
        Mistral3ForConditionalGeneration,
        PixtralVisionConfig,
    )

    text = dict(TINY_TEXT) if tiny else {}
    if layers:
        text["num_hidden_layers"] = layers
    config = Mistral3Config(
        text_config=Ministral3Config(**text),
        vision_config=PixtralVisionConfig(**(TINY_VISION if tiny else {})),
    )
    torch.manual_seed(0)
    with torch.device(device.name):
        model = Mistral3ForConditionalGeneration._from_config(
            config, dtype=device.dtype, attn_implementation="sdpa"
        )
    return model


def matmul_weights(model) -> int:
    """Weights of the language tower's linear layers and the LM head: the per-token matmuls
    (the embedding is a lookup; the vision tower does not run on text)."""
    from torch import nn

    return sum(
        module.weight.numel()
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and ("language_model" in name or name == "lm_head")
    )


class BatchLog:
    """Wraps the data collator: each batch's example lengths (real tokens) and its size as
    computed (with padding), in the order the trainer takes them."""

    def __init__(self, collate) -> None:
        self.collate, self.batches = collate, []

    def __call__(self, examples):
        batch = self.collate(examples)
        if "attention_mask" in batch:  # padded
            lengths = batch["attention_mask"].sum(-1).tolist()
        else:  # padding-free: one row, the examples' boundaries where position ids restart
            starts = (batch["position_ids"][0] == 0).nonzero().flatten().tolist()
            lengths = [
                b - a
                for a, b in zip(starts, [*starts[1:], batch["input_ids"].numel()], strict=True)
            ]
        self.batches.append(
            {
                "lengths": lengths,
                "computed": batch["input_ids"].numel(),
                "padding_free": "attention_mask" not in batch,
            }
        )
        return batch


def step_clock(sync):
    """A TrainerCallback that notes when training began and when each optimizer step ended."""
    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        def __init__(self) -> None:
            self.began, self.ends = 0.0, []

        def on_train_begin(self, args, state, control, **kwargs):
            sync()
            self.began = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            sync()
            self.ends.append(time.perf_counter())
            control.should_save = False  # not the last step's checkpoint: 48 GB for a full 8B
            return control

    return StepClock()


def run_row(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Train one row for warmup + steps optimizer steps; its figures, or why it could not run."""
    import torch
    from transformers import PrinterCallback

    from core.errors import JobFailure
    from core.kinds.train.spec import LORA_TARGETS, TrainSpec
    from core.training.data import Splits
    from core.training.device import Device
    from core.training.phases import Phase, sft_trainer

    flags, tiny = ROWS[name], settings["tiny"]
    cuda = not tiny and torch.cuda.is_available()
    if not tiny and not cuda:
        return {"error": "no GPU: torch.cuda.is_available() is False (use --tiny on the CPU)"}
    device = Device("cuda", "bf16") if cuda else Device("cpu", "fp32")
    card = torch.cuda.get_device_name(0) if cuda else "cpu"
    layers = None if flags["use_lora"] else settings["full_layers"]
    spec = TrainSpec(
        kind="train",
        phase="sft",
        model_path="models/bench",
        batch_size=settings["batch_size"],
        grad_accum=1,
        max_length=settings["max_length"],
        learning_rate=1e-4 if flags["use_lora"] else 1e-5,
        max_steps=settings["warmup"] + settings["steps"],
        warmup_steps=0,
        logging_steps=settings["warmup"] + settings["steps"],
        save_steps=settings["warmup"] + settings["steps"] + 1,
        eval_strategy="no",
        gradient_checkpointing=settings["gradient_checkpointing"],
        use_lora=flags["use_lora"],
        lora_r=16,
        lora_scope="language_qkvo",
        packing=flags["packing"],
        use_liger_kernel=flags["liger"],
        allow_cpu=tiny,
        report_to="none",
    )
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    figures: dict[str, Any] = {"card": card, "torch": torch.__version__, "liger_patched": None}
    try:
        model = build_model(tiny, layers, device)
        text = model.config.text_config
        figures["layers"] = text.num_hidden_layers
        weights = matmul_weights(model)
        figures["estimate_bytes"] = estimated_peak(model, spec, device)
        if flags["liger"]:
            from core.training.liger import (
                apply_liger,
            )  # issue 18 part B; lazily, as it may be absent

            figures["liger_patched"] = apply_liger(model)
        if spec.use_lora:
            from peft import LoraConfig, get_peft_model

            model = get_peft_model(
                model,
                LoraConfig(
                    r=spec.lora_r,
                    lora_alpha=spec.lora_alpha,
                    lora_dropout=spec.lora_dropout,
                    target_modules=LORA_TARGETS[spec.lora_scope],
                    task_type="CAUSAL_LM",
                ),
            )
        if spec.gradient_checkpointing:
            model.config.use_cache = False
        trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
        per_token = 6 * weights if not spec.use_lora else 4 * weights + 6 * trained
        attention = 6 * text.num_attention_heads * text.head_dim * text.num_hidden_layers
        output = Path(tempfile.mkdtemp(prefix="c64ft-bench-gpu-"))
        shortest = 300 // (TINY_SHRINK if tiny else 1)  # tokens, about the 5th percentile
        per_batch = 1 + settings["max_length"] // shortest if spec.packing else 1  # examples
        count = spec.max_steps * spec.batch_size * per_batch + 64
        phase = Phase(
            "sft",
            output,
            Splits(synthetic_dataset(count, text.vocab_size, 0, TINY_SHRINK if tiny else 1), None),
            (0.0, 1.0),
            None,
        )
        clock = step_clock(sync)
        trainer = sft_trainer(model, bench_tokenizer(), spec, device, phase, clock, False)
        trainer.remove_callback(PrinterCallback)  # as train_phase does: stdout is the report
        counter = BatchLog(trainer.data_collator)
        trainer.data_collator = counter
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        trainer.train()
    except ImportError as exc:
        return {**figures, "error": f"not installed: {exc}"}
    except JobFailure as exc:
        return {**figures, "error": f"{exc.type}: {exc.message}"}
    except torch.OutOfMemoryError as exc:
        return {
            **figures,
            "error": f"out of memory ({str(exc).splitlines()[0][:160]}); try "
            "--batch-size 2 or --gradient-checkpointing",
        }
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return {
        **figures,
        **timings(clock, counter, settings["warmup"], per_token, attention),
        "peak_memory_bytes": torch.cuda.max_memory_allocated() if cuda else None,
        "peak_reserved_bytes": torch.cuda.max_memory_reserved() if cuda else None,
        "matmul_weights": weights,
        "trained_weights": trained,
        "final_loss": losses[-1] if losses else None,
    }


def estimated_peak(model, spec, device) -> int:
    """The dry run's estimate of this row's peak (core/kinds/train/estimate.py), to set beside
    the measured one; on a GPU it includes the runtime's reserve, which PyTorch does not count."""
    from core.kinds.train.estimate import ModelShape, estimate_memory

    shape = ModelShape.from_config(model.config.to_dict())
    return estimate_memory(shape, spec, precision=device.precision).total


def timings(clock, counter: BatchLog, warmup: int, per_token: int, attention: int) -> dict:
    """Tokens/s, FLOPs/s and step times over the steps after the warm-up ones."""
    starts = [clock.began, *clock.ends[:-1]]
    durations = [end - start for start, end in zip(starts, clock.ends, strict=True)][warmup:]
    batches = counter.batches[warmup : len(clock.ends)]
    real = sum(sum(b["lengths"]) for b in batches)
    computed = sum(b["computed"] for b in batches)
    flops = sum(per_token * n + attention * n * n for b in batches for n in b["lengths"])
    seconds = sum(durations)
    return {
        "steps_timed": len(durations),
        "real_tokens": real,
        "padding_share": 1 - real / computed if computed else None,
        "padding_free": all(b["padding_free"] for b in batches),
        "tokens_per_second": real / seconds,
        "flops_per_second": flops / seconds,
        "step_p50_s": statistics.median(durations),
        "step_p99_s": percentile(durations, 0.99),
    }


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (the largest value with fewer than 100 steps at p99)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def peak_tflops(card: str, override: float | None) -> float | None:
    """The card's dense bf16 peak from PEAK_TFLOPS, unless `--peak-tflops` gives it."""
    if override:
        return override
    return next((peak for part, peak in PEAK_TFLOPS if part.lower() in card.lower()), None)


def row_in_child(name: str, settings: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One row in a fresh process, as the worker runs each job: its own CUDA context, peak
    memory and Liger patches, and an out-of-memory or a crash that ends only this row."""
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        command = [
            sys.executable,
            __file__,
            "--row",
            name,
            "--settings",
            json.dumps(settings),
            "--result",
            result.name,
        ]
        try:
            done = subprocess.run(
                command,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"stopped after {timeout:.0f} s (the time left of --budget-s)"}
        text = Path(result.name).read_text()
    if text:
        return json.loads(text)
    tail = " | ".join(done.stderr.strip().splitlines()[-3:])
    return {"error": f"the row's process ended with {done.returncode}: {tail[-400:]}"}


def run_rows(args) -> list[dict[str, Any]]:
    settings = {
        k: getattr(args, k)
        for k in (
            "tiny",
            "steps",
            "warmup",
            "batch_size",
            "max_length",
            "full_layers",
            "gradient_checkpointing",
        )
    }
    deadline = time.monotonic() + args.budget_s
    found = []
    for name in args.rows:
        started = time.monotonic()
        print(f"  {name} ...", end="", file=sys.stderr, flush=True)
        if args.tiny:  # on the CPU: no GPU memory to isolate, and Liger refuses to patch
            row = run_row(name, settings)
        else:
            row = row_in_child(name, settings, max(1.0, deadline - started))
        peak = peak_tflops(row.get("card", ""), args.peak_tflops)
        if "flops_per_second" in row and peak:
            row["mfu"] = row["flops_per_second"] / (peak * 1e12)
        found.append(
            {
                "row": name,
                **ROWS[name],
                "max_length": args.max_length,
                "batch_size": args.batch_size,
                "gradient_checkpointing": args.gradient_checkpointing,
                "peak_tflops": peak,
                "wall_s": time.monotonic() - started,
                **row,
            }
        )
        print(f" {found[-1]['wall_s']:.0f} s", file=sys.stderr, flush=True)
    return found


def gigabytes(value: float | None) -> str:
    return "-" if value is None else f"{value / 1e9:.1f} GB"


def report(rows: list[dict[str, Any]], args) -> None:
    print(
        f"\n{'row':<20}{'layers':>7}{'batches':>14}{'tokens/s':>11}{'MFU':>8}{'peak mem':>10}"
        f"{'step p50':>10}{'step p99':>10}{'padding':>9}{'estimate':>10}{'est/peak':>9}"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['row']:<20}  {r['error']}")
            continue
        mfu = f"{r['mfu']:.1%}" if "mfu" in r else "-"
        batches = "padding-free" if r["padding_free"] else "padded"
        print(
            f"{r['row']:<20}{r['layers']:>7}{batches:>14}{r['tokens_per_second']:>11,.0f}"
            f"{mfu:>8}{gigabytes(r['peak_memory_bytes']):>10}{r['step_p50_s']:>9.3f}s"
            f"{r['step_p99_s']:>9.3f}s{r['padding_share']:>9.0%}"
            f"{gigabytes(r['estimate_bytes']):>10}{estimate_ratio(r):>9}"
        )
    card = next((r["card"] for r in rows if "card" in r), "?")
    peak = next((r["peak_tflops"] for r in rows if r.get("peak_tflops")), None)
    print(
        f"\ncard {card}; peak {peak or '? (unknown card: --peak-tflops)'} TFLOPS dense bf16; "
        f"{args.steps} timed steps after {args.warmup}; batch {args.batch_size} x "
        f"max_length {args.max_length}; real tokens only (no padding) in tokens/s and MFU"
    )
    if not args.tiny:
        for text, ok in goals(rows):
            print(f"{'PASS' if ok else 'MISS'}  {text}")


def estimate_ratio(row: dict[str, Any]) -> str:
    """The dry run's estimate over the measured peak (the issue's target: within 15 %)."""
    peak = row.get("peak_memory_bytes")
    return f"{row['estimate_bytes'] / peak:.2f}" if peak else "-"


def goals(rows: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """The issue's goals (one H100, LoRA SFT at 2048): for lora-packing, and against lora."""
    by_name = {r["row"]: r for r in rows if "error" not in r}
    packed, padded = by_name.get("lora-packing"), by_name.get("lora")
    if packed is None:
        return [("lora-packing did not run: no goal to check", False)]
    found = [
        (
            f"lora-packing {packed['tokens_per_second']:,.0f} real tokens/s >= "
            f"{GOALS['tokens_per_second']:,}",
            packed["tokens_per_second"] >= GOALS["tokens_per_second"],
        ),
        (
            f"lora-packing MFU {packed.get('mfu', 0):.1%} >= {GOALS['mfu']:.0%}",
            packed.get("mfu", 0) >= GOALS["mfu"],
        ),
        (
            f"lora-packing peak memory {gigabytes(packed['peak_memory_bytes'])} <= "
            f"{gigabytes(GOALS['peak_memory_bytes'])}",
            (packed["peak_memory_bytes"] or 0) <= GOALS["peak_memory_bytes"],
        ),
    ]
    if padded is not None:
        speedup = packed["tokens_per_second"] / padded["tokens_per_second"]
        found.append(
            (
                f"packing {speedup:.2f}x the padded throughput >= {GOALS['packing_speedup']}x",
                speedup >= GOALS["packing_speedup"],
            )
        )
    return found


def table_row(r: dict[str, Any], tiny: bool) -> dict[str, Any]:
    """A row of the throughput table the dry run reads (core/kinds/train/throughput.json)."""
    return {
        "card": r["card"],
        "model": "tiny-ministral3" if tiny else "ministral3-8b",
        "layers": r["layers"],
        "use_lora": r["use_lora"],
        "packing": r["packing"],
        "liger": r["liger"],
        "max_length": r["max_length"],
        "batch_size": r["batch_size"],
        "gradient_checkpointing": r["gradient_checkpointing"],
        "tokens_per_second": round(r["tokens_per_second"], 1),
        "mfu": round(r["mfu"], 4) if "mfu" in r else None,
        "peak_memory_bytes": r["peak_memory_bytes"],
        "measured_at": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "torch": r["torch"],
    }


KEY = (
    "card",
    "model",
    "layers",
    "use_lora",
    "packing",
    "liger",
    "max_length",
    "batch_size",
    "gradient_checkpointing",
)


def record(path: Path, rows: list[dict[str, Any]], tiny: bool) -> int:
    """Update the table at `path`: each measured row replaces the one with the same card and
    options, or is added; rows that did not run change nothing. Returns how many were written."""
    table = json.loads(path.read_text()) if path.is_file() else {"rows": []}
    new = [table_row(r, tiny) for r in rows if "error" not in r]
    keys = {tuple(row.get(k) for k in KEY) for row in new}
    kept = [row for row in table["rows"] if tuple(row.get(k) for k in KEY) not in keys]
    table["rows"] = kept + new
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(table, indent=2) + "\n")
    temporary.replace(path)
    return len(new)


def parse(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--steps", type=int, help="timed optimizer steps per row (20; tiny 2)")
    parser.add_argument("--warmup", type=int, help="untimed steps first (3; tiny 1)")
    parser.add_argument("--batch-size", type=int, help="sequences per step (4; tiny 2)")
    parser.add_argument("--max-length", type=int, help="tokens per sequence (2048; tiny 256)")
    parser.add_argument(
        "--full-layers",
        type=int,
        default=12,
        help="layers of the full-parameter row (12: ~60 GB on an 80 GB card)",
    )
    parser.add_argument(
        "--gradient-checkpointing",
        action="store_true",
        help="recompute activations (not credited in MFU)",
    )
    parser.add_argument("--peak-tflops", type=float, help="the card's dense bf16 peak")
    parser.add_argument(
        "--budget-s",
        type=float,
        default=450,
        help="seconds for all rows; a row still running then is stopped",
    )
    parser.add_argument(
        "--record",
        type=Path,
        metavar="PATH",
        help="update this throughput table (core/kinds/train/throughput.json)",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="the rows as JSON: to PATH (and the table to stdout), or alone to stdout",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="tiny shapes on the CPU, rows in this process (the test)",
    )
    parser.add_argument("--row", help=argparse.SUPPRESS)  # one row, in a child process
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    defaults = {
        "steps": (20, 2),
        "warmup": (3, 1),
        "batch_size": (4, 2),
        "max_length": (2048, 2048 // TINY_SHRINK),
    }
    for name, (full, tiny) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, tiny if args.tiny else full)
    if args.tiny:
        args.full_layers = min(args.full_layers, TINY_TEXT["num_hidden_layers"])
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.row:  # a child: one row, its figures to --result
        args.result.write_text(json.dumps(run_row(args.row, json.loads(args.settings))))
        return 0
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    rows = run_rows(args)
    if args.record:
        written = record(args.record, rows, args.tiny)
        print(f"{written} rows written to {args.record}", file=sys.stderr)
    if args.json and args.json != "-":
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    if args.json == "-":
        print(json.dumps(rows, indent=2))
    else:
        report(rows, args)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
