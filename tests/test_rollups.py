"""Rollups equal a brute-force aggregation of the raw rows, whatever order, duplicates or lateness the data has.

Observations go in through the ingest's SQL writer (the lane's public surface); the 1-minute and
1-hour rollup tables are then compared with buckets computed here from the observation rows.
Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL (trigger-kept tables there too).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataplane.writers.sql import SqlWriter

pytestmark = pytest.mark.django_db(transaction=True)  # the writer has its own connection: it sees committed rows

BASE = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
_ids = itertools.count()


@pytest.fixture
def writer():
    w = SqlWriter(dict(connection.settings_dict), connection.vendor)
    yield w
    w.close()


def obs(twin: str, when: datetime, value: float, signal: str = "temp") -> dict:
    return {"k": "obs", "time": when.isoformat(), "twin": twin, "signal": signal, "value": value, "unit": "C",
            "quality": "good"}


def _when(value: object) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.astimezone(timezone.utc)


def raw_rows(twin: str) -> list[tuple[str, datetime, float]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT signal, time, value FROM observation WHERE twin = %s", [twin])
        return [(s, _when(t), float(v)) for s, t, v in cursor.fetchall()]


def brute_force(rows: list[tuple[str, datetime, float]], step: timedelta) -> dict:
    """Buckets computed the slow, obvious way: group, then count, sum, min, max, value at the latest time."""
    groups: dict[tuple, list[tuple[datetime, float]]] = defaultdict(list)
    epoch = datetime(2000, 1, 1, tzinfo=timezone.utc)
    for signal, when, value in rows:
        groups[(signal, epoch + (when - epoch) // step * step)].append((when, value))
    return {key: (len(vs), sum(v for _, v in vs), min(v for _, v in vs), max(v for _, v in vs), max(vs)[1])
            for key, vs in groups.items()}


def rollup_rows(twin: str, table: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT signal, bucket, value_count, value_sum, value_min, value_max, last_value "
                       f"FROM {table} WHERE twin = %s", [twin])
        return {(s, _when(b)): (int(n), float(total), float(lo), float(hi), float(last))
                for s, b, n, total, lo, hi, last in cursor.fetchall()}


def assert_rollups_match(twin: str) -> None:
    rows = raw_rows(twin)
    for table, step in (("rollup_1m", timedelta(minutes=1)), ("rollup_1h", timedelta(hours=1))):
        want, got = brute_force(rows, step), rollup_rows(twin, table)
        assert set(got) == set(want), table
        for key, (n, total, lo, hi, last) in want.items():
            g = got[key]
            assert (g[0], g[2], g[3], g[4]) == (n, lo, hi, last), (table, key)
            assert math.isclose(g[1], total, rel_tol=1e-9, abs_tol=1e-6), (table, key)


def test_buckets_count_once_per_row_really_stored_and_late_data_corrects_its_bucket(writer):
    twin = f"roll-{next(_ids)}"
    writer.write([obs(twin, BASE + timedelta(seconds=s), v) for s, v in [(5, 1.0), (50, 3.0), (65, 5.0)]])
    writer.write([obs(twin, BASE + timedelta(seconds=5), 9.0),    # re-sent time, other value: not stored
                  obs(twin, BASE + timedelta(seconds=1), -1.0),   # late, older than the bucket's last
                  obs(twin, BASE + timedelta(seconds=65), 5.0)])  # exact duplicate
    writer.write([obs(twin, BASE + timedelta(seconds=s), v) for s, v in [(5, 1.0), (50, 3.0), (65, 5.0)]])

    minute = rollup_rows(twin, "rollup_1m")
    assert minute[("temp", BASE)] == (3, 3.0, -1.0, 3.0, 3.0)  # last stays the value at :50, not the late :01
    assert minute[("temp", BASE + timedelta(minutes=1))] == (1, 5.0, 5.0, 5.0, 5.0)
    assert rollup_rows(twin, "rollup_1h") == {("temp", BASE): (4, 8.0, -1.0, 5.0, 5.0)}
    assert_rollups_match(twin)


_batch = st.lists(st.tuples(st.integers(0, 3 * 3600 - 1), st.sampled_from(["a", "b"]),
                            st.floats(-1e6, 1e6, allow_nan=False)), min_size=1, max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(_batch, min_size=1, max_size=5), resend=st.booleans())
def test_rollups_equal_a_brute_force_aggregation_of_the_raw_rows(writer, batches, resend):
    twin = f"prop-{next(_ids)}"
    for batch in batches + (batches[:1] if resend else []):  # a batch re-sent after an ambiguous failure
        writer.write([obs(twin, BASE + timedelta(seconds=s), v, signal) for s, signal, v in batch])
    assert_rollups_match(twin)


def test_prune_data_deletes_raw_rows_and_rollups_at_their_own_ages(writer):
    twin = f"prune-{next(_ids)}"
    now = datetime.now(timezone.utc)
    ages = {"new": timedelta(hours=1), "month": timedelta(days=40), "old": timedelta(days=500)}
    writer.write([obs(twin, now - age, i) for i, age in enumerate(ages.values())])

    call_command("prune_data", "--raw-days", "30", "--rollup-days", "365")

    assert [v for _, _, v in raw_rows(twin)] == [0.0]  # only the hour-old row is younger than 30 days
    for table in ("rollup_1m", "rollup_1h"):
        kept = sorted(n for n, *_ in rollup_rows(twin, table).values())
        assert len(rollup_rows(twin, table)) == 2 and kept == [1, 1], table  # 1 h and 40 d kept, 500 d gone
        lasts = sorted(last for *_, last in rollup_rows(twin, table).values())
        assert lasts == [0.0, 1.0], table


def test_prune_data_refuses_a_retention_below_one_day():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--raw-days"):
        call_command("prune_data", "--raw-days", "0")


def test_observations_stored_before_the_rollups_existed_are_counted_once_when_they_are_created(writer):
    from dataplane.schema import apply_tables

    twin = f"before-{next(_ids)}"
    with connection.cursor() as cursor:  # a database from before this feature: observations, no rollups
        cursor.execute("DROP TRIGGER IF EXISTS observation_rollup" + (" ON observation" if connection.vendor ==
                                                                         "postgresql" else ""))
        cursor.execute("DROP TABLE IF EXISTS rollup_1m")
        cursor.execute("DROP TABLE IF EXISTS rollup_1h")
    writer.write([obs(twin, BASE + timedelta(seconds=s), v) for s, v in [(50, 3.0), (5, 1.0), (65, 5.0), (4000, 2.0)]])

    apply_tables(connection)  # what `migrate` / `init_stores` run
    apply_tables(connection)  # and again: nothing is counted twice
    assert_rollups_match(twin)
    assert rollup_rows(twin, "rollup_1m")[("temp", BASE)] == (2, 4.0, 1.0, 3.0, 3.0)
    writer.write([obs(twin, BASE + timedelta(seconds=70), 7.0)])  # and the trigger is back
    assert_rollups_match(twin)
