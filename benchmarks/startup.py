"""Start-up times of the tools against `import torch` alone (issue: start in a second).

    python benchmarks/startup.py [--repeats 5] [--out results/startup.json]

Each command runs in a fresh interpreter `--repeats` times; the median wall time is reported, with its ratio to
`python -c "import torch"` measured in the same run (so a loaded machine shifts both)."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "import torch": [sys.executable, "-c", "import torch"],
    "import lightning": [sys.executable, "-c", "import lightning"],
    "lightning-gan enhance --help": [sys.executable, "-m", "lightning_gan", "enhance", "--help"],
    "lightning-gan fix --help": [sys.executable, "-m", "lightning_gan", "fix", "--help"],
    "load_model('enhance') (API)": [sys.executable, "-c", "import lightning_gan; lightning_gan.load_model('enhance', device='cpu')"],
    "load_model('denoise') (API)": [sys.executable, "-c", "import lightning_gan; lightning_gan.load_model('denoise', device='cpu')"],
}


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("results/startup.json"))
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file cache once
        seconds(command)
    times = {name: statistics.median(seconds(c) for _ in range(args.repeats)) for name, c in COMMANDS.items()}
    base = times["import torch"]
    print("| command | median s | / import torch |\n|---|---|---|")
    for name, value in times.items():
        print(f"| `{name}` | {value:.2f} | {value / base:.2f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"repeats": args.repeats, "seconds": times}, indent=2))


if __name__ == "__main__":
    main()
