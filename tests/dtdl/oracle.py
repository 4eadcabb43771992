"""The reference parser as an oracle: DTDLParser compiled to WebAssembly, run by Node.

`validate_with_oracle(model_sets)` feeds each model set (a list of documents, as for
`dtdl.parse`) to npm @digicatapult/dtdl-parser and returns (valid, message) per set,
so a test can check that the reference parser accepts every model the project ships.
It takes no options, so it applies DTDL's defaults: compare it with
`dtdl.parse(..., allow_undefined_extensions=None)`.
Installed by `.ci/run` (`npm install --prefix tests/dtdl`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "oracle.mjs"
PACKAGE = HERE / "node_modules" / "@digicatapult" / "dtdl-parser"


def oracle_missing() -> str | None:
    """Why the oracle cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not PACKAGE.is_dir():
        return "run `npm install --prefix tests/dtdl` for @digicatapult/dtdl-parser"
    return None


def _text(document: Any) -> str:
    """A document as JSON text: text stays as written, a parsed value is serialised."""
    if isinstance(document, bytes):
        return document.decode("utf-8-sig")
    return document if isinstance(document, str) else json.dumps(document)


def validate_with_oracle(model_sets: list[list[Any]], timeout: float = 600) -> list[tuple[bool, str | None]]:
    """(valid, error message) from the reference parser for each model set, in order."""
    return timed_oracle(model_sets, timeout)[0]


def timed_oracle(model_sets: list[list[Any]], timeout: float = 600) -> tuple[list[tuple[bool, str | None]], float]:
    """The verdicts, and the seconds a second, warmed-up pass of the reference parser took."""
    lines = "".join(json.dumps([_text(d) for d in docs]) + "\n" for docs in model_sets)
    done = subprocess.run(
        ["node", str(SCRIPT)], input=lines, capture_output=True, text=True, cwd=HERE, timeout=timeout, check=False,
        env={**os.environ, "DTDL_ORACLE_TIMING": "1"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"the DTDL oracle failed: {done.stderr.strip()[-2000:]}")
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    elapsed = answers.pop()["elapsed_ms"] / 1000 if answers and "elapsed_ms" in answers[-1] else 0.0
    if len(answers) != len(model_sets):
        raise RuntimeError(f"the DTDL oracle answered {len(answers)} of {len(model_sets)} model sets")
    return [(r["valid"], r["error"]) for r in answers], elapsed
