#!/usr/bin/env bash
# Prepare a GPU campaign (benchmarks/gpu_campaign.sh) on this machine: what the GPU machine lacks, in a git-ignored
# folder that travels with the job (64 MiB at most).
#   bash scripts/gpu_kit.sh [KIT=device-data]
# Writes KIT/wheels/ (manylinux x86_64 wheels for CPython 3.12 of the packages the GPU image does not have, at the
# versions installed here, so the GPU runs what the tests ran) and KIT/grocery-store/ (the Grocery Store train and
# val splits with their lists, each photo re-encoded as a JPEG with a long side of SIZE px; test stays here: scores
# are quoted on it on this machine). Prints the size of what will be sent.
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=${1:-device-data}
DATA=${DATA:-../shared/data/grocery-store}
SIZE=${SIZE:-256}
QUALITY=${QUALITY:-75}
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

$PY - "$DATA" "$KIT/grocery-store" "$SIZE" "$QUALITY" <<'EOF'
"""Re-encode the train and val splits at a long side of SIZE px, same names and lists (a finished copy is kept)."""
import shutil
import sys
from pathlib import Path

from PIL import Image

source, target, size, quality = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
written = 0
for split in ("train", "val"):
    listing = source / f"{split}.txt"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(listing, target / listing.name)
    for line in listing.read_text().splitlines():
        relative = line.split(",")[0].strip()
        if not relative:
            continue
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
EOF

mib() { du -sm --apparent-size "$@" | tail -1 | cut -f1; }
wheels=$(mib "$KIT/wheels")
data=$(mib "$KIT/grocery-store")
repo=$(git ls-files -z | xargs -0 du -cb --apparent-size 2>/dev/null | tail -1 | awk '{print int($1 / 1048576 + 0.5)}')
total=$((wheels + data + repo))
echo "to send: wheels ${wheels} MiB + data ${data} MiB ($KIT) + repository ${repo} MiB = ${total} MiB (limit 64)"
if [ "$total" -ge 62 ]; then
  echo "gpu_kit: too large for one job; lower SIZE or QUALITY (delete $KIT/grocery-store first)" >&2
  exit 1
fi
