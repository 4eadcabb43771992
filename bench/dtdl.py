"""`python -m bench.dtdl`: the whole DTDL v3 conformance corpus through dtdl.parse and through the
reference parser (DTDLParser as WebAssembly, npm @digicatapult/dtdl-parser) in the same run.

Prints the rows as JSON on stdout (an empty list, with a note on stderr, when the corpus or the
oracle is missing). Both parse the same documents as JSON text; the oracle's WebAssembly
start-up is not counted, and neither is ours (the import). The oracle knows no
"allow undefined extensions" option, so it judges those cases strictly; the verdicts
that differ are counted on stderr, the speed compares the same work.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import dtdl
from tests.dtdl import conformance
from tests.dtdl.oracle import oracle_missing, timed_oracle


def rows(base: Path, limit: int | None) -> list[dict]:
    cases = conformance.load("v3", base)[:limit]
    texts = [case.texts for case in cases]
    started = time.perf_counter()
    ours = []
    for case, documents in zip(cases, texts):
        try:
            dtdl.parse(documents, allow_undefined_extensions=case.allow)
            ours.append(True)
        except dtdl.DtdlError:
            ours.append(False)
    our_seconds = time.perf_counter() - started
    verdicts, oracle_seconds = timed_oracle(texts)
    strict = [i for i, case in enumerate(cases) if not case.allow]
    differ = sum(1 for i in strict if verdicts[i][0] != ours[i])
    right = sum(1 for case, verdict in zip(cases, ours) if verdict == case.valid)
    print(f"dtdl: {right}/{len(cases)} verdicts as the corpus says; {differ} of {len(strict)} strict cases "
          "judged otherwise by the reference parser", file=sys.stderr)
    ours_rate, oracle_rate = len(cases) / our_seconds, len(cases) / max(oracle_seconds, 1e-9)
    return [{"benchmark": "DTDL v3 corpus: dtdl.parse vs DTDLParser (npm, WebAssembly)", "size": len(cases),
             "ours": ours_rate, "baseline": oracle_rate, "ratio": ours_rate / oracle_rate, "unit": "cases/s",
             "db": "-"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, help="only the first N cases of the corpus")
    parser.add_argument("--corpus", type=Path, help="folder with v3/*.json (default: tests.dtdl.conformance.cases_dir())")
    args = parser.parse_args()
    base = args.corpus or conformance.cases_dir()
    missing = "no DTDL conformance corpus (set DTDL_CONFORMANCE_DIR)" if base is None else oracle_missing()
    if missing:
        print(f"bench.dtdl skipped: {missing}", file=sys.stderr)
        print("[]")
        return
    print(json.dumps(rows(base, args.cases)))


if __name__ == "__main__":
    main()
