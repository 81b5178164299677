"""Build the embedded sample of the Grocery Store dataset shipped in lightning_gan/data/sample-photos/.

Run once from the repository root:  python scripts/make_sample.py ../shared/data/grocery-store
It keeps the dataset's layout (train/ val/ test/ folders, *.txt split lists, classes.csv, iconic images),
takes the first few images of every class per split, and downsizes them to 128x128 JPEGs.
"""

import argparse
import shutil
from collections import defaultdict
from pathlib import Path

from PIL import Image, ImageOps

PER_CLASS = {"train": 4, "val": 1, "test": 1}
SIZE = 96


def save_small(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(src) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        ImageOps.fit(im, (SIZE, SIZE), Image.Resampling.LANCZOS).save(dst, quality=88, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("--out", type=Path, default=Path("lightning_gan/data/sample-photos/grocery"))
    args = parser.parse_args()
    if args.out.exists():
        raise SystemExit(f"{args.out} exists; remove it first")
    for split, keep in PER_CLASS.items():
        taken: dict[str, int] = defaultdict(int)
        lines = []
        for line in (args.source / f"{split}.txt").read_text().splitlines():
            rel, fine, _coarse = (s.strip() for s in line.split(","))
            if taken[fine] >= keep:
                continue
            taken[fine] += 1
            save_small(args.source / rel, args.out / rel)
            lines.append(line)
        (args.out / f"{split}.txt").write_text("\n".join(lines) + "\n")
    for icon in (args.source / "iconic-images-and-descriptions").rglob("*.jpg"):
        save_small(icon, args.out / icon.relative_to(args.source))
    for name in ("LICENSE", "classes.csv"):
        shutil.copy(args.source / name, args.out / name)
    (args.out / "SOURCE.md").write_text(
        "# Sample of the Grocery Store Dataset\n\n"
        "A small sample of the Grocery Store Dataset by Marcus Klasson, Cheng Zhang and Hedvig Kjellstrom\n"
        "(\"A Hierarchical Grocery Store Image Dataset with Visual and Semantic Labels\", WACV 2019),\n"
        "github.com/marcusklasson/GroceryStoreDataset, MIT licence (LICENSE beside this file).\n\n"
        f"Made by scripts/make_sample.py: the first {PER_CLASS['train']}/{PER_CLASS['val']}/{PER_CLASS['test']} "
        f"images of each class from train/val/test, and the 81 iconic images, resized to {SIZE}x{SIZE} JPEG.\n"
        "Text descriptions are not included.\n"
    )


if __name__ == "__main__":
    main()
