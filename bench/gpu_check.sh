#!/usr/bin/env bash
# The GPU check: gpu_smoke, then train -> export -> validate_reasoning of the tiny model (the
# demo's full fine-tune, and DAPT+SFT with LoRA merged), each through `c64ft run`; a table at the end.
set -uo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
# Run from the repository root. WORKSPACE holds models/tiny-ministral3 and the datasets built
# from the sample corpus (`c64ft make-tiny-model`, then `c64ft run build_datasets` as in the demo).
# A GPU machine without the project's packages gets them as wheels in .whl/ (installed aside).
WORKSPACE=${1:?usage: bench/gpu_check.sh WORKSPACE}
OUT=${OUT:-$WORKSPACE/gpu-check}; mkdir -p "$OUT"
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl || exit 1
fi
export PYTHONPATH=/tmp/site:$PWD
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch, transformers, trl, peft; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0)); print('transformers', transformers.__version__, 'trl', trl.__version__, 'peft', peft.__version__)"
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
