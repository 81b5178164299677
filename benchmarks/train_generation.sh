#!/usr/bin/env bash
# Issue 4's quality benchmark: DCGAN, DCGAN + DiffAugment, cGAN and CycleGAN on the full Grocery Store train split,
# 64x64, a fixed wall-clock budget each, then scored on the test split by benchmarks/score_generation.py.
#   bash benchmarks/train_generation.sh [MINUTES_PER_MODEL=10]
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
DATA=${DATA:-../shared/data/grocery-store}
PY=.venv/bin/python
COMMON=(--trainer.max_epochs -1 --trainer.max_time "00:00:$(printf %02d "$MINUTES"):00" --trainer.enable_progress_bar false)
export WANDB_MODE=${WANDB_MODE:-offline}
$PY -m lightning_gan fit --config experiments/dcgan_generate.yaml --name bench_dcgan --model.init_args.diff_augment "" \
  --data.root "$DATA" --data.cache_dir .cache "${COMMON[@]}"
$PY -m lightning_gan fit --config experiments/dcgan_generate.yaml --name bench_dcgan_diffaugment \
  --data.root "$DATA" --data.cache_dir .cache "${COMMON[@]}"
$PY -m lightning_gan fit --config experiments/cgan_generate.yaml --name bench_cgan \
  --data.root "$DATA" --data.cache_dir .cache "${COMMON[@]}"
$PY -m lightning_gan fit --config experiments/cyclegan_catalog.yaml --name bench_cyclegan \
  --data.a "$DATA" --data.b "$DATA/iconic-images-and-descriptions" --data.cache_dir .cache "${COMMON[@]}" \
  --trainer.check_val_every_n_epoch 1
newest() { ls -d runs/$1/version_* | sort -t_ -k3 -n | tail -1; }
$PY benchmarks/score_generation.py --data "$DATA" "$(newest bench_dcgan)" "$(newest bench_dcgan_diffaugment)" \
  "$(newest bench_cgan)" "$(newest bench_cyclegan)"
