#!/usr/bin/env bash
# Prepare a GPU campaign (benchmarks/gpu_campaign.sh) on this machine: what the GPU machine lacks, in a git-ignored
# folder that travels with the job (64 MiB at most).
#   bash scripts/gpu_kit.sh [KIT=device-data]
# Writes KIT/wheels/ (manylinux x86_64 wheels for CPython 3.12 of the packages the GPU image does not have, at the
# versions installed here, so the GPU runs what the tests ran), KIT/grocery-store/ (every TRAIN_EVERY-th train photo
# and all of val, with their lists, re-encoded as JPEGs of quality QUALITY with a long side of SIZE px; test stays
# here: scores are quoted on it on this machine) and KIT/natural-photos/ (CBSD432 with a short side of SIZE px,
# quality 95: the denoiser's clean targets). Prints the size of what will be sent once scripts/gpu_trim.sh has run:
# the device takes 64 MiB in all (its README), and the whole repository alone is more. Photos already in KIT are
# kept as they are: delete KIT to rebuild it at another SIZE or QUALITY.
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=${1:-device-data}
DATA=${DATA:-../shared/data/grocery-store}
SIZE=${SIZE:-192}
QUALITY=${QUALITY:-90}
TRAIN_EVERY=${TRAIN_EVERY:-3}
NATURAL=${NATURAL:-../shared/data/natural-photos}
PY=${PY:-.venv/bin/python}
# The GPU image has torch, torchvision, lightning, torchmetrics, safetensors, onnx, numpy, pillow, pyyaml, tqdm, rich
# (KINDS.md of the device tool); these are what it lacks. W&B is not carried: the campaign runs with
# WANDB_MODE=disabled, and the CLI then needs no wandb.
PACKAGES=${PACKAGES:-"kornia kornia_rs jsonargparse docstring_parser typeshed_client"}

if [ ! -d "$DATA/train" ]; then
  echo "gpu_kit: no Grocery Store at $DATA (set DATA=...)" >&2
  exit 2
fi
mkdir -p "$KIT/wheels"
pins=()
for package in $PACKAGES; do
  version=$($PY -m pip show "$package" 2>/dev/null | sed -n 's/^Version: //p')
  if [ -z "$version" ]; then
    echo "gpu_kit: $package is not installed here (run make install first)" >&2
    exit 2
  fi
  pins+=("$package==$version")
done
rm -f "$KIT"/wheels/*.whl  # one version of each: two would stop the install there
$PY -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d "$KIT/wheels" "${pins[@]}" 2> >(grep -v "^WARNING: Location" >&2)

$PY - "$DATA" "$KIT/grocery-store" "$SIZE" "$QUALITY" "$TRAIN_EVERY" "$NATURAL" "$KIT/natural-photos" <<'EOF'
"""Re-encode every n-th train photo and all of val at a long side of SIZE px, same names, lists cut to match (a
finished copy is kept); the natural photos at a short side of SIZE px."""
import shutil
import sys
from pathlib import Path

from PIL import Image

source, target, size, quality, every = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
natural, natural_target = Path(sys.argv[6]), Path(sys.argv[7])
written = 0
for split in ("train", "val"):
    lines = [line for line in (source / f"{split}.txt").read_text().splitlines() if line.split(",")[0].strip()]
    if split == "train":
        lines = lines[::every]
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{split}.txt").write_text("\n".join(lines) + "\n")
    for line in lines:
        relative = line.split(",")[0].strip()
        out = target / relative
        if out.is_file():
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(source / relative) as photo:
            photo = photo.convert("RGB")
            photo.thumbnail((size, size), Image.Resampling.LANCZOS)
            partial = out.with_name(out.name + ".partial")
            photo.save(partial, "JPEG", quality=quality)
            partial.rename(out)
        written += 1
for extra in ("classes.csv", "LICENSE", "SOURCE.md"):
    if (source / extra).is_file():
        shutil.copy(source / extra, target / extra)
print(f"data: {written} photos re-encoded into {target}")
written = 0
for path in sorted(natural.rglob("*.jpg")):
    out = natural_target / path.name
    if out.is_file():
        continue
    natural_target.mkdir(parents=True, exist_ok=True)
    with Image.open(path) as photo:
        photo = photo.convert("RGB")
        scale = size / min(photo.size)
        photo = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.LANCZOS)
        partial = out.with_name(out.name + ".partial")
        photo.save(partial, "JPEG", quality=95)
        partial.rename(out)
    written += 1
print(f"data: {written} natural photos re-encoded into {natural_target}")
EOF

mib() { du -cm --apparent-size "$@" | tail -1 | cut -f1; }
wheels=$(mib "$KIT/wheels")
data=$(mib "$KIT/grocery-store" "$KIT/natural-photos")
repo=$(bash scripts/gpu_trim.sh size)
total=$((wheels + data + repo))
echo "to send: wheels ${wheels} MiB + data ${data} MiB ($KIT) + repository after gpu_trim.sh ${repo} MiB = ${total} MiB (limit 64)"
if [ "$total" -gt 62 ]; then
  echo "gpu_kit: ${total} MiB is too much for the device (64 MiB with the repository): raise TRAIN_EVERY or lower SIZE" >&2
  exit 1
fi
if [ "$total" -ge 62 ]; then
  echo "gpu_kit: too large for one job; lower SIZE or QUALITY (delete $KIT/grocery-store first)" >&2
  exit 1
fi
