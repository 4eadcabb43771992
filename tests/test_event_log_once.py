"""An alert the broker sends again is stored once: event_log has a key, as observation does.

The ingest acknowledges a message only after spooling it, so a kill between the two makes the broker
send it again, and the SQL lane writes the same record a second time. The store keeps one row and the
alarm journal one entry; a different alert at the same instant is still its own row.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from dataplane.writers.sql import SqlWriter

pytestmark = pytest.mark.django_db(transaction=True)  # the writer has its own connection


def alert(twin: str, message: str, time: str = "2026-11-30T10:00:00+00:00") -> dict:
    return {"k": "event", "time": time, "twin": twin, "tenant": "demo", "severity": "warning",
            "kind": "alert", "body": {"severity": "warning", "signal": "door", "message": message}}


def rows(sql: str, twin: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, [twin])
        return cursor.fetchone()[0]


@pytest.fixture
def twin() -> str:
    """A twin id of this test's own: the data tables are not emptied between tests."""
    return f"once-{uuid.uuid4().hex[:8]}"


def test_an_alert_written_again_is_one_event_log_row_and_one_journal_entry(twin):
    writer = SqlWriter(dict(connection.settings_dict), connection.vendor)
    try:
        writer.write([alert(twin, "door stuck")])
        writer.write([alert(twin, "door stuck")])  # the same record, spooled again after a redelivery
        writer.write([alert(twin, "door stuck"), alert(twin, "door open too long")])
    finally:
        writer.close()
    assert rows("SELECT count(*) FROM event_log WHERE twin = %s", twin) == 2
    assert rows("SELECT count(*) FROM rule_input WHERE twin = %s AND kind = 'alert'", twin) == 2


def test_the_same_alert_at_another_time_is_another_event(twin):
    writer = SqlWriter(dict(connection.settings_dict), connection.vendor)
    try:
        writer.write([alert(twin, "door stuck"), alert(twin, "door stuck", time="2026-11-30T10:05:00+00:00")])
    finally:
        writer.close()
    assert rows("SELECT count(*) FROM event_log WHERE twin = %s", twin) == 2
