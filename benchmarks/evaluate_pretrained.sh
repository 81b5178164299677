#!/usr/bin/env bash
# Score the best checkpoint of each pretrained_<task> run (or a shipped model) on the Grocery Store test split,
# against every fitting classical baseline:  bash benchmarks/evaluate_pretrained.sh [TASKS] [EVERY=10]
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS=${1:-"denoise enhance inpaint sr4x"}
EVERY=${2:-10}
DATA=${DATA:-../shared/data/grocery-store}
declare -A PRESET=([denoise]=noise [enhance]=mixed [inpaint]=stains [sr4x]=downscale4 [colorize]=grayscale)
mkdir -p results
for task in $TASKS; do
  model=$(ls -t runs/pretrained_${task}/version_*/checkpoints/best-*.ckpt 2>/dev/null | head -1 || true)
  model=${model:-$task}
  .venv/bin/lightning-gan evaluate --model "$model" --data "$DATA" --split test --every "$EVERY" \
    --degradation "${PRESET[$task]}" --baselines all --out "results/${task}.json" --overwrite
  # do no harm: the clean photos themselves in, nearly the same photos out (tasks that keep the size and need no mask)
  if [ "$task" = enhance ] || [ "$task" = denoise ]; then
    .venv/bin/lightning-gan evaluate --model "$model" --data "$DATA" --split test --every "$EVERY" \
      --degradation none --out "results/${task}_none.json" --overwrite
  fi
done
