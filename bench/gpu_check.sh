#!/usr/bin/env bash
# The GPU check, one prepared script: gpu_smoke, then train -> export -> validate_reasoning of the
# tiny model (the demo's full fine-tune, and DAPT+SFT with LoRA merged), each through `c64ft run`,
# then bench/bench_gpu_train.py (Ministral-3-8B's shapes) with --record; tables at the end.
set -uo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
# Run from the repository root: bash bench/gpu_check.sh WORKSPACE [all|tiny|bench]. WORKSPACE
# holds models/tiny-ministral3 and the datasets built from the sample corpus (`c64ft
# make-tiny-model`, then `c64ft run build_datasets` as in the demo), built on any machine. `tiny`
# is the tiny model's steps (about 3.5 min on an H200), `bench` the 8B bench alone (stopped at
# BENCH_BUDGET_S, 300 s by default; about 3-4 min expected): `all` (the default) runs both, in
# that order, within one 10-minute device command.
# A GPU machine without the project's packages (no internet) gets them as wheels in .whl/, made
# beside the repository beforehand with `pip download --no-deps -d .whl transformers trl peft
# liger-kernel` at the versions pyproject pins (torch and triton come from the machine's image);
# they are installed aside, in /tmp/site. Without liger-kernel the bench's Liger rows say so.
WORKSPACE=${1:?usage: bench/gpu_check.sh WORKSPACE [all|tiny|bench]}
PARTS=${2:-all}
REPO=$PWD
OUT=${OUT:-$WORKSPACE/gpu-check}; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd); export OUT
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl || exit 1
fi
export PYTHONPATH=/tmp/site:$PWD
date -u +"%Y-%m-%d %H:%M UTC"; git rev-parse --short HEAD 2>/dev/null; nproc
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 - <<'PY'
import importlib, torch
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))
for name in ("transformers", "trl", "peft", "accelerate", "datasets", "triton", "liger_kernel", "flash_attn"):
    try:
        print(name, getattr(importlib.import_module(name), "__version__", "(no __version__)"))
    except Exception as exc:
        print(name, "not importable:", type(exc).__name__, exc)
PY
if [ "$PARTS" != bench ]; then
(
cd "$WORKSPACE"
export C64FT_WORKSPACE=$PWD C64FT_ALLOWED_BASE_MODELS='["models/tiny-ministral3"]'
c="python3 -m c64ft run"
step() { local name=$1; shift; local t0=$(date +%s.%N); "$@" > $OUT/$name.json 2> $OUT/$name.err; local rc=$?; echo "== $name rc=$rc $(python3 -c "print(round($(date +%s.%N)-$t0,1))") s"; tail -n 3 $OUT/$name.err; }
step smoke $c gpu_smoke --matrix-size 8192 --burn-in-s 10
step train_full $c train --model-path models/tiny-ministral3 --output-dir models/tiny-c64 --phase sft --use-lora false --max-steps 1000 --batch-size 4 --grad-accum 1 --learning-rate 0.003 --max-length 1024 --gradient-checkpointing false --logging-steps 50 --save-steps 500 --eval-steps 500 --precision bf16
step validate_full $c validate_reasoning --model-path models/tiny-c64 --output-dir results/rv-full
step train_lora $c train --model-path models/tiny-ministral3 --output-dir models/tiny-lora --phase both --max-steps 40 --batch-size 8 --grad-accum 2 --learning-rate 0.002 --max-length 1024 --logging-steps 10 --save-steps 20 --eval-steps 20 --precision bf16
step validate_lora $c validate_reasoning --model-path models/tiny-lora-merged-hf --output-dir results/rv-lora
cp results/rv-full/summary.md $OUT/summary_full.md 2>/dev/null; cp results/rv-lora/summary.md $OUT/summary_lora.md 2>/dev/null
python3 - <<'PY'
import json, os
out = os.environ["OUT"]
for name in ("smoke", "train_full", "validate_full", "train_lora", "validate_lora"):
    try:
        d = json.load(open(f"{out}/{name}.json"))
    except Exception as e:
        print(name, "no json:", e); continue
    if name == "smoke": print(name, {k: d.get(k) for k in ("device", "devices", "torch", "cuda", "check")})
    elif name.startswith("train"): print(name, d.get("device"), d.get("precision"), {p: {k: v.get(k) for k in ("steps", "final_train_loss", "final_eval_loss", "runtime_s", "tokens_per_second")} for p, v in d["phases"].items()})
    else: print(name, d.get("verdict"), d.get("rates"), d.get("stops"))
PY
)
fi
[ "$PARTS" = tiny ] && exit 0
# bench_gpu_train: the table to stdout and bench.txt, every row's figures to bench.json, the
# dry run's rows to throughput.json (copy them into core/kinds/train/throughput.json).
echo "== bench_gpu_train (budget ${BENCH_BUDGET_S:-300} s)"
t0=$(date +%s)
python3 "$REPO/bench/bench_gpu_train.py" --budget-s "${BENCH_BUDGET_S:-300}" \
  --json "$OUT/bench.json" --record "$OUT/throughput.json" 2> "$OUT/bench.err" | tee "$OUT/bench.txt"
echo "== bench_gpu_train rc=${PIPESTATUS[0]} $(( $(date +%s) - t0 )) s"
grep -v "examples/s" "$OUT/bench.err" | tail -n 8
cat "$OUT/throughput.json" 2>/dev/null
