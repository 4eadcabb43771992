"""The official DTDL conformance cases, read from where the steering side keeps them.

Each file of `DTDL/v3/spec/` and `DTDL/v2/spec/` (Azure/opendigitaltwins-dtdl) is a list
of cases `{valid, options, input: [...], expect?}`. The data is not committed here: it
is looked up in $DTP_DTDL_CONFORMANCE_DIR, then in shared/dtdl-conformance beside the
checkout (see tests/dtdl/README.md). `python -m tests.dtdl.conformance` prints the
pass rate per folder and each failing case.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dtdl

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("v3", "v2")


@dataclass
class Case:
    file: str
    index: int
    valid: bool
    allow: bool
    input: list[Any]
    expect: dict[str, Any] | None

    @property
    def texts(self) -> list[str]:
        """The documents as JSON text, so that the text path (with line and column) is what runs."""
        return [json.dumps(document, indent=2) for document in self.input]

    @property
    def key(self) -> str:
        return f"{self.file}#{self.index}"


def cases_dir() -> Path | None:
    """The folder holding v3/ and v2/ (each with the spec's *.json), or None."""
    candidates = [os.environ.get("DTP_DTDL_CONFORMANCE_DIR")]
    candidates += [str(ROOT.parent / "shared" / "dtdl-conformance")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "v3").is_dir():
            return Path(candidate)
    return None


def load(folder: str, base: Path) -> list[Case]:
    out: list[Case] = []
    for path in sorted((base / folder).glob("*.json")):
        for index, raw in enumerate(json.loads(path.read_text(encoding="utf-8-sig"))):
            allow = "AllowUndefinedExtensions" in raw.get("options", [])
            out.append(Case(path.name, index, raw["valid"], allow, raw["input"], raw.get("expect")))
    return out


def run(case: Case) -> tuple[bool, dtdl.DtdlError | None]:
    """(valid according to dtdl.parse, the error if any)."""
    try:
        dtdl.parse(case.texts, allow_undefined_extensions=case.allow)
    except dtdl.DtdlError as exc:
        return False, exc
    return True, None


def main() -> int:
    base = cases_dir()
    if base is None:
        print("no conformance cases found; set DTP_DTDL_CONFORMANCE_DIR", file=sys.stderr)
        return 2
    verbose = "-v" in sys.argv
    for folder in FOLDERS:
        cases = load(folder, base)
        failed = []
        for case in cases:
            got, error = run(case)
            if got != case.valid:
                failed.append((case, error))
        rate = 100.0 * (len(cases) - len(failed)) / max(len(cases), 1)
        print(f"{folder}: {len(cases) - len(failed)}/{len(cases)} = {rate:.2f}%")
        for case, error in failed:
            print(f"  FAIL {case.key} expected {'valid' if case.valid else 'invalid'}"
                  + (f": {error.errors[0].message}" if error else ""))
            if verbose:
                print("      ", json.dumps(case.input)[:400])
    return 0


if __name__ == "__main__":
    sys.exit(main())
