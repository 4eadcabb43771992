"""The official DTDL conformance cases (DTDL/v3/spec and DTDL/v2/spec of Azure/opendigitaltwins-dtdl).

Every case is parsed and its verdict compared with `valid`; the pass rate per folder is
printed, and the run fails when it drops below tests/dtdl/conformance-baseline.json or when
a case outside that file's `failing` list fails. The cases are read from
$DTDL_CONFORMANCE_DIR or shared/dtdl-conformance beside the checkout (tests/dtdl/README.md);
without them these tests skip, unless DTDL_REQUIRE_CONFORMANCE=1.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import pytest

from tests.dtdl import conformance

BASELINE = json.loads((Path(__file__).parent / "dtdl" / "conformance-baseline.json").read_text())
BASE = conformance.cases_dir()

pytestmark = pytest.mark.skipif(
    BASE is None and os.environ.get("DTDL_REQUIRE_CONFORMANCE") != "1",
    reason="the DTDL conformance cases are not on this machine (set DTDL_CONFORMANCE_DIR)",
)


@lru_cache(maxsize=None)
def _results(folder: str) -> list[tuple[conformance.Case, bool, object]]:
    """Each case of the folder with our verdict and error, computed once for all the tests here."""
    assert BASE is not None, "DTDL_REQUIRE_CONFORMANCE=1 but no conformance cases were found"
    return [(case, *conformance.run(case)) for case in conformance.load(folder, BASE)]


@pytest.mark.parametrize("folder", conformance.FOLDERS)
def test_the_pass_rate_holds(folder: str) -> None:
    cases = [case for case, _, _ in _results(folder)]
    failed = [case.key for case, valid, _ in _results(folder) if valid != case.valid]
    passed = len(cases) - len(failed)
    print(f"\nDTDL {folder} conformance: {passed}/{len(cases)} = {100.0 * passed / len(cases):.2f}%")
    recorded = BASELINE[folder]
    assert len(cases) >= recorded["cases"], f"fewer {folder} cases than recorded; is the corpus complete?"
    unexpected = [key for key in failed if key not in BASELINE["failing"]]
    assert not unexpected, f"cases that used to pass now fail: {unexpected[:20]}"
    assert passed / len(cases) >= recorded["passed"] / recorded["cases"]


@pytest.mark.parametrize("folder", conformance.FOLDERS)
def test_unresolved_identifiers_are_the_expected_ones(folder: str) -> None:
    """Cases with `expect.unresolvedIdentifiers` must be rejected naming exactly those DTMIs."""
    checked = 0
    for case, valid, error in _results(folder):
        expected = (case.expect or {}).get("unresolvedIdentifiers")
        if expected is None:
            continue
        assert not valid and error is not None, case.key
        assert error.unresolved == sorted(expected), case.key
        checked += 1
    assert checked >= 30


@pytest.mark.parametrize("folder", conformance.FOLDERS)
def test_errors_point_into_the_input(folder: str) -> None:
    """For every invalid case, each error's pointer names a place that exists in its document."""
    for case, valid, error in _results(folder):
        if case.valid or valid or error is None:
            continue
        for issue in error.errors:  # type: ignore[attr-defined]
            assert issue.line is not None, f"{case.key}: {issue.message} has no line"
            node = case.input[issue.document]
            for token in [t for t in issue.pointer.split("/")[1:]]:
                token = token.replace("~1", "/").replace("~0", "~")
                node = node[int(token)] if isinstance(node, list) else node[token]
