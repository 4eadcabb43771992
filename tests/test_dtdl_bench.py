"""`python -m bench.dtdl` writes a well-formed row (figures belong to make bench, none is asserted)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dtdl.oracle import oracle_missing
from tests.dtdl.samples import INVALID, VALID

REPO = Path(__file__).resolve().parents[1]


def test_the_dtdl_bench_row_is_well_formed(tmp_path: Path) -> None:
    missing = oracle_missing()
    if missing and os.environ.get("DTP_REQUIRE_SERVICES") != "1":
        pytest.skip(f"DTDL oracle: {missing}")
    corpus = tmp_path / "v3"
    corpus.mkdir()
    cases = [{"valid": True, "options": ["DisallowUndefinedExtensions"], "input": docs} for docs in VALID.values()]
    cases += [{"valid": False, "options": ["DisallowUndefinedExtensions"], "input": docs} for docs in INVALID.values()]
    (corpus / "Samples.json").write_text(json.dumps(cases))
    run = subprocess.run([sys.executable, "-m", "bench.dtdl", "--corpus", str(tmp_path)], cwd=REPO,
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    [row] = json.loads(run.stdout)
    assert row["size"] == len(cases) and row["unit"] == "cases/s"
    assert all(isinstance(row[k], float) and math.isfinite(row[k]) and row[k] > 0 for k in ("ours", "baseline", "ratio"))
    assert f"{len(cases)}/{len(cases)} verdicts as the corpus says; 0 of {len(cases)}" in run.stderr
