#!/usr/bin/env bash
# Train the shipped EAGAN models on the full Grocery Store train split (selection on val), one after another.
#   bash benchmarks/train_pretrained.sh [MINUTES_PER_MODEL=14] [TASKS="denoise enhance inpaint sr4x"]
# denoise, inpaint, sr4x: random 64x64 crops at the photos' own resolution (load_size 348, no resampling);
# enhance: whole photos downscaled to 256 px (exposure and colour are properties of the whole photo).
# A fixed wall-clock budget each.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-14}
TASKS=${2:-"denoise enhance inpaint sr4x"}
DATA=${DATA:-../shared/data/grocery-store}
for task in $TASKS; do
  if [ "$task" = enhance ]; then
    DATA_ARGS=(--data.image_size 256)
  else
    DATA_ARGS=(--data.load_size 348 --data.native_crops true)
  fi
  WANDB_MODE=${WANDB_MODE:-offline} .venv/bin/python -m lightning_gan fit --config "experiments/eagan_${task}.yaml" \
    --name "pretrained_${task}" --data.root "$DATA" "${DATA_ARGS[@]}" \
    --data.cache_dir .cache --trainer.max_epochs -1 --trainer.max_time "00:00:$(printf %02d "$MINUTES"):00" \
    --trainer.enable_progress_bar false
done
