"""`manage.py deadletter`: an operator lists, replays and purges the records a store refused."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from django.core.management import CommandError, call_command

from dataplane.deadletter import DeadLetters
from tests.test_ingest_faults import _refuse_value_17


@pytest.fixture
def letters(settings, tmp_path) -> DeadLetters:
    settings.DTP_SPOOL_DIR = tmp_path / "spool"
    return DeadLetters(tmp_path / "spool" / "deadletter")


def record(value: float) -> dict:
    return {"k": "obs", "time": datetime.now(timezone.utc).isoformat(), "twin": "pump-1", "signal": "flow",
            "value": value, "unit": "m3/h", "quality": "good"}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("deadletter", *args, stdout=out)
    return out.getvalue()


def test_purge_takes_the_listed_ids_or_all_and_names_an_unknown_one(letters):
    first = letters.put("timescale", record(1.0), "refused: check constraint")
    letters.put("timescale", record(2.0), "refused: check constraint")
    assert "2 dead-lettered record(s)" in run("list")
    assert first.id in run("list")

    with pytest.raises(CommandError, match="ids from `deadletter list`"):
        run("purge")
    with pytest.raises(CommandError, match="no dead-lettered record timescale/nope"):
        run("purge", "timescale/nope")
    assert letters.count() == 2  # a refused purge removes nothing

    assert "purged 1" in run("purge", first.id)
    assert [e.record["value"] for e in letters.entries()] == [2.0]
    assert "purged 1" in run("purge", "--all")
    assert letters.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_record_refused_again_on_replay_stays_with_the_new_reason(letters):
    letters.put("timescale", record(17.0), "the old reason")
    letters.put("timescale", record(18.0), "the old reason")
    restore = _refuse_value_17()
    try:
        out = run("replay", "--store", "timescale")
    finally:
        restore()
    assert "1 written, 1 refused again" in out
    (kept,) = letters.entries("timescale")
    assert kept.record["value"] == 17.0 and kept.reason != "the old reason" and "17" in kept.reason

