#!/usr/bin/env bash
# The repository is larger than what a device call takes (64 MiB with the kit, the device tool's README): before a
# GPU campaign, move what the device does not need into .gpu-trim/ (git-ignored, so it does not travel), and move it
# back afterwards. Everything moved is tracked, so `git checkout -- .` brings it back too if .gpu-trim/ is lost.
#   bash scripts/gpu_trim.sh apply     move out docs/images and the shipped weights the campaign does not start from
#   bash scripts/gpu_trim.sh restore   move them back (never over a file that is there again)
#   bash scripts/gpu_trim.sh list      what apply would move
#   bash scripts/gpu_trim.sh size      MiB of the repository that would travel after apply
# KEEP_MODELS: the shipped models the campaign warm-starts from (default: the default TASKS of gpu_campaign.sh);
# the domain classifiers (lightning_gan/pretrained/domain/) always stay: the projected discriminator sees through one.
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP_MODELS=${KEEP_MODELS:-"denoise grocery"}
STORE=.gpu-trim

trimmed() {  # the tracked files apply moves, one per line
  git ls-files -- docs/images 'lightning_gan/pretrained/*.safetensors' experiments/warm | while read -r path; do
    case $path in
      lightning_gan/pretrained/domain/*) continue ;;
      lightning_gan/pretrained/*.safetensors)
        name=$(basename "$path" .safetensors)
        [[ " $KEEP_MODELS " == *" $name "* ]] && continue ;;
    esac
    [ -f "$path" ] && echo "$path"
  done
}

case ${1:-} in
  list) trimmed ;;
  size)
    # tracked and untracked-not-ignored files that are there, less what apply moves
    { git ls-files -z --cached --others --exclude-standard | tr '\0' '\n'; trimmed | sed 's/^/-/'; } |
      awk '/^-/ {drop[substr($0, 2)] = 1; next} {keep[$0] = 1} END {for (p in keep) if (!(p in drop)) print p}' |
      while read -r path; do [ -f "$path" ] && stat -c %s "$path"; done |
      awk '{total += $1} END {print int(total / 1048576 + 0.999)}' ;;
  apply)
    if [ -d "$STORE" ] && [ -n "$(find "$STORE" -type f -print -quit)" ]; then
      echo "gpu_trim: $STORE/ still holds files of an earlier apply: run 'bash scripts/gpu_trim.sh restore' first" >&2
      exit 1
    fi
    count=0
    while read -r path; do
      mkdir -p "$STORE/$(dirname "$path")"
      mv "$path" "$STORE/$path"
      count=$((count + 1))
    done < <(trimmed)
    echo "gpu_trim: moved $count files into $STORE/; the repository that travels is now $(bash "$0" size) MiB." \
      "After the device call: bash scripts/gpu_trim.sh restore"
    ;;
  restore)
    [ -d "$STORE" ] || { echo "gpu_trim: nothing to restore (no $STORE/)"; exit 0; }
    count=0
    clash=0
    while IFS= read -r -d '' stored; do
      path=${stored#"$STORE"/}
      if [ -e "$path" ]; then
        echo "gpu_trim: $path exists again; its trimmed copy stays in $stored" >&2
        clash=1
        continue
      fi
      mkdir -p "$(dirname "$path")"
      mv "$stored" "$path"
      count=$((count + 1))
    done < <(find "$STORE" -type f -print0)
    [ $clash = 0 ] && rm -rf "$STORE"
    echo "gpu_trim: $count files restored"
    exit $clash
    ;;
  *)
    echo "usage: bash scripts/gpu_trim.sh apply|restore|list|size" >&2
    exit 2
    ;;
esac
