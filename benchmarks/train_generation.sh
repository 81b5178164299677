#!/usr/bin/env bash
# Issue 4's quality benchmark: DCGAN, DCGAN + DiffAugment, cGAN and CycleGAN on the full Grocery Store train split,
# 64x64, then scored on the test split by benchmarks/score_generation.py.
#   bash benchmarks/train_generation.sh [MINUTES_PER_MODEL=10] [G_STEPS]      (G_STEPS: equal steps instead of time)
#   MODELS="dcgan dcgan_diffaugment cgan" bash benchmarks/train_generation.sh 60 1500
#   MODELS="cgan_coarse grocery" bash benchmarks/train_generation.sh 30     # DCGAN-cGAN vs FastGAN-cGAN, equal time,
#     both on the 43 coarse classes, then `lightning-gan score-generator` (domain FID, GAN-test, diversity) on val
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
G_STEPS=${2:-}
MODELS=${MODELS:-"dcgan dcgan_diffaugment cgan cyclegan"}
DATA=${DATA:-../shared/data/grocery-store}
PY=.venv/bin/python
COMMON=(--trainer.max_epochs -1 --trainer.max_time "00:00:$(printf %02d "$MINUTES"):00" --trainer.enable_progress_bar false
        --data.cache_dir .cache)
if [ -n "$G_STEPS" ]; then COMMON+=(--trainer.max_steps $((2 * G_STEPS)) --trainer.check_val_every_n_epoch 2); fi
export WANDB_MODE=${WANDB_MODE:-offline}
fit() { $PY -m lightning_gan fit "$@" "${COMMON[@]}"; }
for model in $MODELS; do
  case $model in
    dcgan) fit --config experiments/dcgan_generate.yaml --name bench_dcgan --model.init_args.diff_augment "" --data.root "$DATA" ;;
    dcgan_diffaugment) fit --config experiments/dcgan_generate.yaml --name bench_dcgan_diffaugment --data.root "$DATA" ;;
    cgan) fit --config experiments/cgan_generate.yaml --name bench_cgan --data.root "$DATA" ;;
    cgan_coarse) fit --config experiments/cgan_generate.yaml --name bench_cgan_coarse --data.root "$DATA" --data.label coarse ;;
    grocery) fit --config experiments/grocery_generate.yaml --name bench_grocery --data.root "$DATA" ;;
    cyclegan) fit --config experiments/cyclegan_catalog.yaml --name bench_cyclegan --data.a "$DATA" \
                --data.b "$DATA/iconic-images-and-descriptions" --trainer.check_val_every_n_epoch 1 ;;
  esac
done
newest() { ls -d runs/$1/version_* | sort -t_ -k3 -n | tail -1; }
RUNS=()
for model in $MODELS; do RUNS+=("$(newest "bench_$model")"); done
$PY benchmarks/score_generation.py --data "$DATA" "${RUNS[@]}"
for model in $MODELS; do
  case $model in
    cgan_coarse|grocery)
      run=$(newest "bench_$model")
      ckpt=$(ls "$run"/checkpoints/best-*.ckpt 2>/dev/null | tail -1 || true)
      $PY -m lightning_gan score-generator --model "${ckpt:-$run/checkpoints/last.ckpt}" --data "$DATA" --split val \
        --cache-dir .cache --out "results/score_$model.json" --grid "results/score_$model.png" --overwrite ;;
  esac
done
