"""`python -m bench` runs and writes a well-formed table (no timing is asserted: figures belong to make bench)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from bench.browser import CHROMIUM
from twins.fleet.catalog import MACHINE_TYPES

REPO = Path(__file__).resolve().parent.parent

SCANS = {"cold scan vs naive update_or_create", "cold scan vs parse-only floor",
         "cold scan vs the libyaml floor (yaml.load CSafeLoader, nothing else)",
         "no-op rescan vs cold scan", "no-op rescan vs cold scan: SQL queries"}
EDITS = ["edits reaching a PortalEvent within 5 s vs edits saved",
         *(f"edit to committed PortalEvent p{q} vs the watcher's no-op pass over one folder p{q}" for q in (50, 99)),
         *(f"edit to SSE client p{q} vs edit to PortalEvent p{q}" for q in (50, 99))]
LIVE = {
    "scanner peak RSS, cold scan vs parse-only pass",
    *(f"API {kind} p{q}, {clients} vs one SQL query + json.dumps"
      for kind in ("list", "detail") for clients in ("1 client", "16 clients") for q in (50, 99)),
    *(f"API list SQL queries per request, {n}/page vs one query" for n in (10, 100, 1000)),
    "API detail SQL queries per request vs one query",
    *(f"portal home page p{q} (goal < 200 ms) vs API list page p{q}" for q in (50, 99)),
    "portal home page p50, table view (goal < 200 ms) vs API list page p50",
    "portal home page size (goal < 500 KB) vs API list page size",
    "portal home page size, table view (goal < 500 KB) vs API list page size",
    *EDITS,
    *(f"SSE fan-out p{q} vs bare asyncio SSE server" for q in (50, 99)),
    "SSE fan-out max vs bare asyncio SSE server",
    "SSE memory per connection vs bare asyncio SSE server",
    "web process RSS holding N streams vs bare asyncio SSE server",
    "web process threads holding N streams vs bare asyncio SSE server",
}
SERIES = {"SQL writer with rollups kept vs without",  # bench/series.py: sized by observations, not twins
          "series API, 3 d at 1 obs/10 s (1h rollup) vs reading the raw rows"}
ANOMALY = {f"anomaly {kind} vs static threshold: {what}" for kind in ("mad", "ewma", "hst")  # bench/anomaly.py
           for what in ["F1, all types", "precision, all types", "recall, all types", "detection delay p50",
                        "detection delay p95", *(f"F1, {t.key}" for t in MACHINE_TYPES)]}
BROWSER = {f"edit to browser card p{q} vs edit to PortalEvent p{q}" for q in (50, 99)}
REDIS_URL = "redis://127.0.0.1:6379/0"  # the bench's default; its channel prefix is the run's own


def _redis_answers() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def test_the_benchmark_harness_produces_a_well_formed_table(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bench", "--db", "sqlite", "--quick", "--sizes", "20",
                          "--fanout", "50", "--dtdl", "0", "--out", str(tmp_path)],
                         cwd=REPO, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "DTP_BENCH_REDIS_URL": REDIS_URL})
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads((tmp_path / "latest.json").read_text())
    assert {"cpu", "cores", "python", "commit", "date"} <= set(result["machine"])
    names = [r["benchmark"] for r in result["rows"]]
    assert len(names) == len(set(names)), "one row per benchmark, database and size"
    browser = BROWSER if os.path.exists(CHROMIUM) else set()  # without Chromium those rows are skipped
    edits = {*EDITS, *browser}
    redis = {f"{name} (Redis)" for name in edits} if _redis_answers() else set()  # the same edits over Redis
    assert set(names) == SCANS | LIVE | SERIES | browser | redis | ANOMALY
    for row in (r for r in result["rows"] if r["benchmark"] in ANOMALY):  # no database; a score may be 0
        assert row["db"] == "none" and row["size"] > 0 and row["unit"] in ("F1", "precision", "recall", "s")
        assert all(isinstance(row[k], (int, float)) and math.isfinite(row[k]) and row[k] >= 0
                   for k in ("ours", "baseline")), row
        assert row["unit"] == "s" or row["ours"] <= 1 and row["baseline"] <= 1
    for row in (r for r in result["rows"] if r["benchmark"] not in ANOMALY):
        fan_out = row["benchmark"].startswith(("SSE", "web process"))
        size = 25920 if row["benchmark"] in SERIES else (50 if fan_out else 20)
        assert row["db"] == "sqlite" and row["size"] == size and row["unit"]
        assert all(isinstance(row[k], (int, float)) and math.isfinite(row[k]) and row[k] > 0
                   for k in ("ours", "baseline", "ratio")), row
    markdown = (tmp_path / "latest.md").read_text()
    assert markdown.count("\n| ") == len(result["rows"]) + 1  # header + one line per row
