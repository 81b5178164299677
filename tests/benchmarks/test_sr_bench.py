"""benchmarks/sr_bench.py: what its contact sheet prints above each column."""

from __future__ import annotations

import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("sr_bench", Path(__file__).parents[2] / "benchmarks" / "sr_bench.py")
sr_bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sr_bench)


def test_a_column_title_names_a_model_file_briefly_and_fits_its_column():
    """A model file given by path is titled by its folder and stem (a full path ran over the next column)."""
    assert sr_bench.column_title("sr2x") == "sr2x"
    assert sr_bench.column_title("/work/notes/old_sr2x/sr2x.safetensors") == "old_sr2x/sr2x"
    long = sr_bench.column_title("/a/a_very_long_folder_name_of_runs/best-step960.ckpt", 128)
    assert len(long) <= 128 // 6 and long.startswith("..") and long.endswith("best-step960")
