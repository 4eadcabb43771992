"""dtdl agrees with the reference parser (DTDLParser as WebAssembly, npm @digicatapult/dtdl-parser).

The oracle is installed by .ci/run (`npm install --prefix tests/dtdl`); without it these
tests skip, except in CI (DTP_REQUIRE_SERVICES=1), where that fails.
"""

from __future__ import annotations

import random

import pytest

import dtdl
from tests.conftest import require_service
from tests.dtdl import conformance
from tests.dtdl.edges import EDGES, EXPECTED
from tests.dtdl.oracle import oracle_missing, validate_with_oracle
from tests.dtdl.samples import INVALID, VALID


@pytest.fixture(autouse=True)
def _oracle() -> None:
    missing = oracle_missing()
    if missing:
        require_service(f"DTDL oracle: {missing}")


def _ours(documents: list) -> bool:
    """Our verdict with DTDL's default options, which the oracle (taking none) applies."""
    try:
        dtdl.parse(documents, allow_undefined_extensions=None)
    except dtdl.DtdlError:
        return False
    return True


def test_the_oracle_and_dtdl_agree_on_the_hand_written_samples() -> None:
    sets = {**{f"valid: {k}": v for k, v in VALID.items()}, **{f"invalid: {k}": v for k, v in INVALID.items()}}
    verdicts = validate_with_oracle(list(sets.values()))
    for (name, documents), (oracle, message) in zip(sets.items(), verdicts):
        assert oracle == name.startswith("valid"), f"{name}: the oracle says {message}"
        assert _ours(documents) == oracle, name


def test_the_oracle_gives_the_recorded_verdict_on_each_edge_case() -> None:
    names = sorted(EDGES)
    verdicts = validate_with_oracle([EDGES[name] for name in names])
    assert {n: v for n, (v, _) in zip(names, verdicts)} == {n: EXPECTED[n] for n in names}


def test_the_oracle_and_dtdl_agree_on_a_sample_of_the_conformance_cases() -> None:
    """A fixed random sample per folder of the cases without undefined extensions (the oracle rejects those)."""
    base = conformance.cases_dir()
    if base is None:
        pytest.skip("the DTDL conformance cases are not on this machine (set DTP_DTDL_CONFORMANCE_DIR)")
    for folder in conformance.FOLDERS:
        cases = [c for c in conformance.load(folder, base) if not c.allow]
        sample = random.Random(16).sample(cases, 300)
        verdicts = validate_with_oracle([c.texts for c in sample])
        for case, (oracle, message) in zip(sample, verdicts):
            ours = _ours(case.texts)
            assert ours == oracle, f"{case.key}: ours {ours}, oracle {oracle} ({message})"
