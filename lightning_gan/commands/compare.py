"""`lightning-gan compare`: the runs of one or more experiments side by side, without a W&B account.

    lightning-gan compare runs/dcgan_generate                      # every version of one experiment
    lightning-gan compare runs/bench_dcgan/version_0 runs/bench_cgan/version_0 --out reports/gen

Reads what each run wrote in its folder (metrics.csv, config.yaml, summary.json), prints a Markdown table (one row
per run: experiment, variant, the config keys that differ between the runs, G steps, best and final value of each
validation metric, wall time, hardware) and writes comparison.md, comparison.json, comparison.png (each metric
against steps, one line per run) and comparison.html (table and plot in one standalone file) into --out.
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import json
import math
import sys
from pathlib import Path

from lightning_gan.files import TOOL_ERRORS, read_run_config, tool_error

HIGHER_IS_BETTER = ("psnr", "ssim", "is", "d_acc")
IGNORED_CONFIG = ("name", "runs_dir", "ckpt_path", "wandb_project", "trainer.logger", "trainer.callbacks",
                  "trainer.default_root_dir")
REPORT_FILES = ("comparison.md", "comparison.json", "comparison.png", "comparison.html")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightning-gan compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (runs/<name>/version_k) or experiment folders")
    parser.add_argument("--out", type=Path, help="report folder (default: <experiment>/comparison, or ./comparison); "
                        "its comparison.* files are replaced")
    parser.add_argument("--metrics", default="", help="comma list of metrics to show (default: every val/ metric)")
    return parser


def find_runs(paths: list[Path]) -> list[Path]:
    runs: list[Path] = []
    for path in paths:
        if (path / "metrics.csv").is_file():
            runs.append(path)
        elif path.is_dir() and (found := sorted(path.glob("version_*/metrics.csv"), key=lambda p: _version(p.parent))):
            runs.extend(p.parent for p in found)
        else:
            raise FileNotFoundError(f"{path}: no metrics.csv in it or in its version_* folders")
    return runs


def _version(run: Path) -> int:
    tail = run.name.rpartition("_")[2]
    return int(tail) if tail.isdigit() else -1


def read_history(run: Path) -> dict[str, list[tuple[int, float]]]:
    """metric -> [(step, value)] from the run's metrics.csv (empty cells skipped)."""
    history: dict[str, list[tuple[int, float]]] = {}
    with (run / "metrics.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            step = int(float(row.get("step") or 0))
            for key, value in row.items():
                if key in ("step", "epoch") or value in ("", None):
                    continue
                history.setdefault(key, []).append((step, float(value)))
    return history


def flatten(config: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _short(key: str) -> str:
    return key.replace(".init_args.", ".").replace("init_args.", "")


def config_differences(configs: list[dict[str, object]]) -> list[dict[str, object]]:
    """Per run, the config keys whose value differs between the runs that have the key (a key missing from an
    older run's config is a change of the code, not of the run); the model class is in the variant column."""
    keys = sorted({k for c in configs for k in c if not k.startswith(IGNORED_CONFIG) and not k.endswith("class_path")})
    differing = [k for k in keys if len({json.dumps(c[k], default=str) for c in configs if k in c}) > 1]
    return [{_short(k): c[k] for k in differing if k in c} for c in configs]


def better(metric: str) -> str:
    name = metric.rpartition("/")[2]
    return "max" if name.startswith(HIGHER_IS_BETTER) and not name.endswith("_input") else "min"


def summarise(run: Path, metrics: list[str] | None) -> dict:
    history = read_history(run)
    run_config = read_run_config(run)
    config = run_config.raw
    summary = json.loads((run / "summary.json").read_text()) if (run / "summary.json").is_file() else {}
    shown = metrics or sorted(k for k in history if k.startswith(("val/", "test/")))
    values = {}
    for metric in shown:
        points = [v for _, v in history.get(metric, []) if math.isfinite(v)]
        if points:
            values[metric] = {"best": (max if better(metric) == "max" else min)(points), "final": points[-1], "better": better(metric)}
    model = (run_config.class_path or summary.get("model", "?")).rpartition(".")[2]
    degradation = run_config.degradation
    # runs of `validate` / `test` score a checkpoint and train nothing (older runs say so by having no train/ metric)
    job = summary.get("job") or ("fit" if any(k.startswith("train/") for k in history) else "evaluation")
    steps = max((s for points in history.values() for s, _ in points), default=0)
    return {
        "run": str(run), "experiment": config.get("name") or run.parent.name,
        "variant": model + (f" ({degradation})" if degradation else ""),
        "batches": steps, "g_steps": summary.get("g_steps"), "wall_seconds": summary.get("wall_seconds"),
        "hardware": summary.get("hardware", "?"), "status": summary.get("status", "?"), "metrics": values,
        "job": job, "checkpoint": config.get("ckpt_path"),
        "_config": flatten(config), "_history": history,
    }


def _number(value: float) -> str:
    return f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s" if seconds >= 60 else f"{seconds:.1f} s"


def table_rows(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    metrics = sorted({m for r in rows for m in r["metrics"]})
    header = ["run", "experiment", "variant", "config differences", "G steps"]
    header += [f"{m} best / final ({'↑' if better(m) == 'max' else '↓'})" for m in metrics] + ["wall time", "hardware"]
    body = []
    for r in rows:
        diffs = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in r["differences"].items()) or "-"
        cells = [Path(r["run"]).name if Path(r["run"]).name.startswith("version_") else r["run"], r["experiment"],
                 r["variant"], diffs, str(r["g_steps"] if r["g_steps"] is not None else r["batches"])]
        for m in metrics:
            v = r["metrics"].get(m)
            cells.append(f"{_number(v['best'])} / {_number(v['final'])}" if v else "-")
        body.append(cells + [_duration(r["wall_seconds"]), r["hardware"]])
    return header, body


def evaluation_rows(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """Runs of `validate` / `test`: the checkpoint each scored and its metrics (no training columns)."""
    metrics = sorted({m for r in rows for m in r["metrics"]})
    header = ["run", "job", "experiment", "variant", "checkpoint scored", *metrics]
    body = [[Path(r["run"]).name, r["job"], r["experiment"], r["variant"], str(r["checkpoint"] or "-"),
             *[_number(r["metrics"][m]["final"]) if m in r["metrics"] else "-" for m in metrics]] for r in rows]
    return header, body


def markdown(header: list[str], body: list[list[str]]) -> str:
    escape = lambda cell: cell.replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = sorted({m for r in rows for m in r["_history"] if m.startswith(("val/", "train/g_loss", "train/d_loss"))})
    columns = min(3, max(1, len(metrics)))
    lines = max(1, math.ceil(len(metrics) / columns))
    figure, axes = plt.subplots(lines, columns, figsize=(5 * columns, 3.4 * lines), squeeze=False)
    for axis, metric in zip(axes.flat, metrics):
        for r in rows:
            points = r["_history"].get(metric)
            if points:
                axis.plot([s for s, _ in points], [v for _, v in points], marker="." if len(points) < 30 else None,
                          label=f"{r['experiment']}/{Path(r['run']).name}")
        axis.set_title(metric)
        axis.set_xlabel("training batch")
        axis.grid(alpha=0.3)
    for axis in list(axes.flat)[len(metrics):]:
        axis.axis("off")
    if metrics:
        axes.flat[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def html_report(header: list[str], body: list[list[str]], png: Path) -> str:
    picture = base64.b64encode(png.read_bytes()).decode() if png.is_file() else None
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body)
    return ("<!doctype html><html><head><meta charset='utf-8'><title>lightning-gan comparison</title><style>"
            "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
            "padding:4px 8px;font-size:13px}th{background:#f3f3f3}</style></head><body><h1>Run comparison</h1>"
            f"<table><tr>{head}</tr>{rows}</table><h2>Metrics against steps</h2>"
            + (f"<img alt='metrics against steps' src='data:image/png;base64,{picture}'>" if picture
               else "<p>No plot: matplotlib is not installed.</p>")
            + "</body></html>")


def compare(paths: list[Path], out: Path | None, metrics: list[str] | None) -> tuple[str, Path]:
    runs = find_runs(paths)
    every = [summarise(run, metrics) for run in runs]
    rows = [r for r in every if r["job"] == "fit"]
    evaluations = [r for r in every if r["job"] != "fit"]
    for row, differences in zip(rows, config_differences([r["_config"] for r in rows])):
        row["differences"] = differences
    header, body = table_rows(rows)
    table = markdown(header, body) if rows else "No training runs."
    if evaluations:
        table += "\n\nEvaluation runs (validate / test of a checkpoint):\n\n" + markdown(*evaluation_rows(evaluations))
    if out is None:
        out = paths[0] / "comparison" if len(paths) == 1 and not (paths[0] / "metrics.csv").is_file() else Path("comparison")
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.md").write_text(table + "\n")
    (out / "comparison.json").write_text(json.dumps([{k: v for k, v in r.items() if not k.startswith("_")} for r in every],
                                                    indent=2, default=str))
    try:
        plot(rows, out / "comparison.png")
    except ImportError:
        print("lightning-gan compare: no comparison.png: matplotlib is not installed (pip install 'lightning-gan[compare]')",
              file=sys.stderr)
    (out / "comparison.html").write_text(html_report(header, body, out / "comparison.png"))
    return table, out


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] or None
        table, out = compare(args.runs, args.out, metrics)
    except TOOL_ERRORS as error:
        return tool_error("compare", error)
    print(table)
    print(f"\nwrote {', '.join(str(out / name) for name in REPORT_FILES)}")
    return 0
