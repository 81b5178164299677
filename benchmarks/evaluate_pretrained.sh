#!/usr/bin/env bash
# Score the best checkpoint of each pretrained_<task> run (or a shipped model) on the Grocery Store test split,
# against every fitting classical baseline:  bash benchmarks/evaluate_pretrained.sh [TASKS] [EVERY=10]
# denoise is scored on `noise` and `camera_noise`, enhance on `mixed`, `lowlight` and `color_cast`, dejpeg on `jpeg` (quality 40)
# and `jpeg_repair`, sr4x on `real_sr4x_mix`, `downscale4` and `real_sr4x`, sr4x-clean on `downscale4`; denoise, enhance
# and dejpeg also on `none`: the do-no-harm check
# (clean photos in, PSNR of the output against the photo itself), plus the detail ratio on darkened photos.
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS=${1:-"denoise enhance inpaint sr4x"}
EVERY=${2:-10}
DATA=${DATA:-../shared/data/grocery-store}
declare -A PRESETS=([denoise]="noise camera_noise" [enhance]="mixed lowlight color_cast" [inpaint]="stains large_holes" [sr4x]="real_sr4x_mix downscale4 real_sr4x"
                    [sr4x-clean]="downscale4" [colorize]="grayscale" [dejpeg]="jpeg jpeg_repair")
mkdir -p results
for task in $TASKS; do
  model=$(ls -t runs/pretrained_${task}/version_*/checkpoints/best-*.ckpt 2>/dev/null | head -1 || true)
  model=${model:-$task}
  for preset in ${PRESETS[$task]}; do
    suffix=$([ "$preset" = "${PRESETS[$task]%% *}" ] && echo "" || echo "_$preset")
    .venv/bin/lightning-gan evaluate --model "$model" --data "$DATA" --split test --every "$EVERY" \
      --degradation "$preset" --baselines all --out "results/${task}${suffix}.json" --overwrite
  done
  if [ "$task" = enhance ] || [ "$task" = denoise ] || [ "$task" = dejpeg ]; then
    .venv/bin/lightning-gan evaluate --model "$model" --data "$DATA" --split test --every "$EVERY" \
      --degradation none --out "results/${task}_none.json" --overwrite
  fi
  if [ "$task" = enhance ]; then
    .venv/bin/lightning-gan evaluate --no-reference --degradation lowlight --model "$model" --data "$DATA" --split test \
      --every "$EVERY" --baselines histogram_equalization,clahe,auto_contrast,gamma_correction \
      --out "results/${task}_detail_lowlight.json" --overwrite
  fi
done
