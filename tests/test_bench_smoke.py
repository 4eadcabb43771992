"""`python -m bench` runs and writes a well-formed table (no timing is asserted: figures belong to make bench)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_benchmark_harness_produces_a_well_formed_table(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bench", "--db", "sqlite", "--sizes", "20", "--out", str(tmp_path)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads((tmp_path / "latest.json").read_text())
    assert {"cpu", "cores", "python", "commit", "date"} <= set(result["machine"])
    names = {r["benchmark"] for r in result["rows"]}
    assert names == {"cold scan vs naive update_or_create", "cold scan vs parse-only floor",
                     "no-op rescan vs cold scan", "no-op rescan vs cold scan: SQL queries"}
    for row in result["rows"]:
        assert row["db"] == "sqlite" and row["size"] == 20 and row["unit"]
        assert all(isinstance(row[k], (int, float)) and math.isfinite(row[k]) and row[k] > 0
                   for k in ("ours", "baseline", "ratio"))
    markdown = (tmp_path / "latest.md").read_text()
    assert markdown.count("\n| ") == len(result["rows"]) + 1  # header + one line per row
