#!/usr/bin/env bash
# One GPU job that trains and measures everything, in at most 9 minutes of wall time (a 10-minute device command).
#   on this machine, once:   bash scripts/gpu_kit.sh                      (wheels + compact data in device-data/)
#   on the GPU machine:      bash benchmarks/gpu_campaign.sh [--out DIR]  (DIR defaults to $OUT, else results/gpu_campaign)
#   here, as a test:         bash benchmarks/gpu_campaign.sh --dry-run --out /tmp/x   (CPU, embedded sample, seconds)
# Steps, each under its own `timeout` (a step that fails or runs out is recorded and the next one runs):
#   1. install the kit's wheels into a scratch site folder (the GPU image lacks kornia and jsonargparse);
#   2. speed: benchmarks/throughput.py (reference DCGAN recipe vs the framework at batch 128, EAGAN 256 px TFLOP/s,
#      enhance latency at 512 and 1024 px);
#   3. train every shipped model with a wall-clock budget (TRAIN_SECONDS), WANDB_MODE=disabled, bf16 on the GPU;
#   4. export each best checkpoint in the shipped format (fp16 safetensors + JSON card);
#   5. results.json and results.md (validation scores, steps, hardware, speed with MFU), models.tar, campaign.log.
# At most 8 files come back from a device job: everything lands as those five files directly under the output folder.
set -uo pipefail
cd "$(dirname "$0")/.."
DRY=0
DEST=${OUT:-results/gpu_campaign}
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) DRY=1 ;;
    --out) DEST=$2; shift ;;
    *) echo "gpu_campaign: unknown argument $1 (--dry-run, --out DIR)" >&2; exit 2 ;;
  esac
  shift
done
KIT=${KIT:-device-data}
TASKS=${TASKS:-"enhance denoise sr4x inpaint grocery"}
mkdir -p "$DEST"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/campaign.XXXXXX")
LOG="$DEST/campaign.log"
: > "$LOG"
START=$(date +%s)
say() { echo "[$(( $(date +%s) - START ))s] $*" | tee -a "$LOG"; }
STEPS="$WORK/steps.jsonl"
: > "$STEPS"
step() {  # step NAME SECONDS command...: run under timeout, log, record rc and time
  local name=$1 limit=$2 t0 rc
  shift 2
  say "== $name (at most ${limit}s)"
  t0=$(date +%s)
  timeout --kill-after=15 "$limit" "$@" >> "$LOG" 2>&1
  rc=$?
  echo "{\"step\": \"$name\", \"rc\": $rc, \"seconds\": $(( $(date +%s) - t0 ))}" >> "$STEPS"
  say "   $name: exit $rc after $(( $(date +%s) - t0 ))s"
  return $rc
}

if [ $DRY = 1 ]; then
  PY=${PY:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
  DATA=${DATA:-lightning_gan/data/sample-photos/grocery}
  TRAIN_SECONDS=${TRAIN_SECONDS:-60}
  COMMON=(--trainer.accelerator cpu --trainer.max_epochs 1 --trainer.limit_train_batches 2 --trainer.limit_val_batches 1
          --trainer.check_val_every_n_epoch 1
          --data.batch_size 4)
  SPEED=(--quick --steps 1 --only "GANEnhance,enhance" --cache "$WORK/cache")
else
  PY=${PY:-python3}
  DATA=${DATA:-$KIT/grocery-store}
  TRAIN_SECONDS=${TRAIN_SECONDS:-60}
  COMMON=(--trainer.max_epochs -1 --trainer.max_time "00:00:00:$(printf %02d "$TRAIN_SECONDS")" --data.cache_dir "$WORK/cache")
  SPEED=(--data "$DATA" --cache "$WORK/cache" --steps 60)
fi
export WANDB_MODE=disabled PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

# 1. wheels
if compgen -G "$KIT/wheels/*.whl" > /dev/null && [ $DRY = 0 ]; then
  step wheels 120 "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$WORK/site" "$KIT"/wheels/*.whl && export PYTHONPATH="$PYTHONPATH:$WORK/site"
fi
step environment 60 "$PY" -c "import torch, lightning, kornia, jsonargparse; print('torch', torch.__version__, 'lightning', lightning.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu')"

# 2. speed
step speed $(( DRY ? 240 : 150 )) "$PY" benchmarks/throughput.py "${SPEED[@]}" --out "$WORK/throughput.json"

# 3 + 4. train and export each model
declare -A CONFIG=([enhance]=eagan_enhance [denoise]=eagan_denoise [sr4x]=eagan_sr4x_real [inpaint]=eagan_inpaint [cgan]=cgan_generate
                   [grocery]=grocery_generate)
declare -A GPU_ARGS=(
  [enhance]="--data.image_size 256 --data.batch_size 32"
  [denoise]="--data.image_size 128 --data.native_crops true --data.load_size 256 --data.batch_size 64"
  # sr4x is the real-image model: warm start from sr4x-clean on real_sr4x_mix (docs/results.md, sr4x)
  [sr4x]="--data.image_size 128 --data.native_crops true --data.load_size 256 --data.batch_size 64"
  # Warm start from the shipped inpainter (CPU-trained for hours): a few GPU minutes continue it rather than restart.
  # For an inpainting-only job: TASKS=inpaint TRAIN_SECONDS=300 bash benchmarks/gpu_campaign.sh
  [inpaint]="--data.image_size 256 --data.batch_size 32 --model.init_from inpaint"
  [cgan]="--data.batch_size 128"
  [grocery]="--data.batch_size 64 --model.init_args.metrics [swd,domain_fid] --model.init_args.monitor val/domain_fid"
)
mkdir -p "$WORK/models"
for task in $TASKS; do
  config=experiments/${CONFIG[$task]}.yaml
  extra=()
  [ $DRY = 0 ] && read -r -a extra <<< "${GPU_ARGS[$task]}"
  step "train_$task" $(( DRY ? 240 : TRAIN_SECONDS + 60 )) "$PY" -m lightning_gan fit --config "$config" \
    --name "campaign_$task" --runs_dir "$WORK/runs" --data.root "$DATA" "${COMMON[@]}" "${extra[@]}" --trainer.enable_progress_bar false
  best=$(ls -t "$WORK"/runs/campaign_"$task"/version_*/checkpoints/best-*.ckpt 2>/dev/null | head -1)
  [ -n "$best" ] || best=$(ls -t "$WORK"/runs/campaign_"$task"/version_*/checkpoints/last.ckpt 2>/dev/null | head -1)
  if [ -n "$best" ] && [ "$task" != cgan ]; then
    step "export_$task" 120 "$PY" scripts/export_pretrained.py "$best" "$task" --out-dir "$WORK/models" \
      --train-minutes "$(awk "BEGIN {print $TRAIN_SECONDS / 60}")" --hardware "$("$PY" -c "import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'CPU (dry run)')")" \
      --note "GPU campaign (benchmarks/gpu_campaign.sh)"
  elif [ -n "$best" ]; then
    cp "$best" "$WORK/models/cgan.ckpt"
  fi
  summary=$(ls -t "$WORK"/runs/campaign_"$task"/version_*/summary.json 2>/dev/null | head -1)
  [ -n "$summary" ] && cp "$summary" "$WORK/models/${task}_summary.json"
done

# 5. results
"$PY" - "$WORK" "$DEST" "$DRY" <<'EOF' 2>&1 | tee -a "$LOG"
"""results.json / results.md from the steps, the runs' summaries and the speed rows (MFU against the card's peak)."""
import json
import sys
from pathlib import Path

work, dest, dry = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1"
steps = [json.loads(line) for line in (work / "steps.jsonl").read_text().splitlines() if line.strip()]
speed = json.loads((work / "throughput.json").read_text()) if (work / "throughput.json").is_file() else None
# Dense bf16 tensor-core peaks (NVIDIA data sheets): H100 SXM 989 TFLOP/s, H100 PCIe 756, H200 989.
PEAKS = {"H100 PCIe": 756.0, "H100": 989.0, "H200": 989.0}
peak = next((v for k, v in PEAKS.items() if speed and k in speed["device"]), None)
if speed and peak:
    for row in speed["rows"]:
        if row.get("tflops_per_s") and str(row.get("precision", "")).startswith("bf16"):
            row["mfu"] = row["tflops_per_s"] / peak
models = {}
for path in sorted((work / "models").glob("*_summary.json")):
    models[path.name[: -len("_summary.json")]] = json.loads(path.read_text())
result = {"dry_run": dry, "steps": steps, "speed": speed, "models": models, "bf16_peak_tflops": peak}
(dest / "results.json").write_text(json.dumps(result, indent=2))
lines = ["# GPU campaign" + (" (dry run)" if dry else ""), "", f"device: {speed['device'] if speed else 'unknown'}", "",
         "| step | exit | seconds |", "|---|---|---|"]
lines += [f"| {s['step']} | {s['rc']} | {s['seconds']} |" for s in steps]
lines += ["", "| model | best | steps (G) | wall s | hardware |", "|---|---|---|---|---|"]
for name, s in models.items():
    best = f"{s['best']['metric']} {s['best']['value']:.4f}" if s.get("best") else "-"
    lines.append(f"| {name} | {best} | {s['g_steps']} | {s['wall_seconds']} | {s['hardware']} |")
if speed:
    lines += ["", "| speed row | precision | batch | images/s | TFLOP/s | MFU | ms |", "|---|---|---|---|---|---|---|"]
    for r in speed["rows"]:
        mfu = f"{100 * r['mfu']:.1f} %" if "mfu" in r else ""
        lines.append(f"| {r['name']} | {r.get('precision', '')} | {r.get('batch', '')} | {r.get('images_per_s', 0):.1f} | "
                     f"{r.get('tflops_per_s', 0):.2f} | {mfu} | {r.get('ms', 0):.1f} |")
(dest / "results.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
tar -cf "$DEST/models.tar" -C "$WORK" models
[ -f "$WORK/throughput.json" ] && cp "$WORK/throughput.json" "$DEST/throughput.json"
say "done in $(( $(date +%s) - START ))s: $DEST/{results.json,results.md,models.tar,throughput.json,campaign.log}"
rm -rf "$WORK"
