"""Observations and event_log rows into the registry's database.

PostgreSQL/TimescaleDB: COPY into a temporary table, then one INSERT ... ON
CONFLICT DO NOTHING into `observation`, so a batch retried after an ambiguous
failure lands once. SQLite (the embedded default): INSERT OR IGNORE. Both in
one transaction per batch. The writer keeps its own connection (its own
thread), not Django's.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Any

from .base import Health, Probe, StoreDown, StoreRefused

__all__ = ["SqlWriter"]


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(timezone.utc)


def classify(exc: Exception, endpoint: str) -> StoreDown | StoreRefused:
    """The one place that tells this store's data refusals from its transient failures.

    Refused: the server (or the driver, before sending) rejected the values
    themselves: a NUL in text, a value out of range, a constraint, a record
    the writer cannot even read. Everything else (connection lost, timeout,
    locked database, missing table while a migration runs) is transient.
    """
    text = f"{endpoint}: {type(exc).__name__}: {exc}"[:500]
    refused: tuple[type[BaseException], ...] = (sqlite3.IntegrityError, sqlite3.DataError, KeyError, TypeError,
                                                ValueError)
    try:
        import psycopg

        refused += (psycopg.DataError, psycopg.IntegrityError)
    except ImportError:  # SQLite only
        pass
    return StoreRefused(text) if isinstance(exc, refused) else StoreDown(text)


class SqlWriter:
    name = "timescale"
    label = "Timescale"
    kinds = frozenset({"obs", "event"})

    def __init__(self, settings_dict: dict[str, Any], vendor: str, timeout: float = 5.0):
        self.settings_dict = settings_dict
        self.vendor = vendor
        self.timeout = timeout
        self._conn: Any = None
        if vendor == "postgresql":
            self.endpoint = f"{settings_dict.get('HOST') or 'localhost'}:{settings_dict.get('PORT') or 5432}/" \
                            f"{settings_dict['NAME']}"
        else:
            self.endpoint = f"sqlite:{settings_dict['NAME']}"

    # --- connection -------------------------------------------------------------
    def open(self) -> None:
        if self._conn is not None:
            return
        try:
            if self.vendor == "postgresql":
                import psycopg

                s = self.settings_dict
                self._conn = psycopg.connect(dbname=s["NAME"], user=s.get("USER") or None,
                                             password=s.get("PASSWORD") or None, host=s.get("HOST") or None,
                                             port=s.get("PORT") or None, connect_timeout=max(1, int(self.timeout)),
                                             autocommit=True)
            else:
                # the lane's thread writes; health, probe and close may come from another
                self._conn = sqlite3.connect(self.settings_dict["NAME"], timeout=20, isolation_level=None,
                                             check_same_thread=False)
                self._conn.execute("PRAGMA journal_mode=WAL")
        except Exception as exc:
            self._conn = None
            raise StoreDown(f"{self.endpoint}: {exc}") from exc

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    # --- writing ----------------------------------------------------------------
    def write(self, records: list[dict[str, Any]]) -> None:
        obs = [r for r in records if r["k"] == "obs"]
        events = [r for r in records if r["k"] == "event"]
        self.open()
        try:
            if self.vendor == "postgresql":
                self._write_pg(obs, events)
            else:
                self._write_sqlite(obs, events)
        except Exception as exc:
            self.close()  # a broken connection is not reused
            raise classify(exc, self.endpoint) from exc

    def _write_pg(self, obs: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        conn = self._conn
        with conn.transaction():
            cur = conn.cursor()
            if obs:
                cur.execute("CREATE TEMP TABLE IF NOT EXISTS observation_in "
                            "(LIKE observation INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
                with cur.copy("COPY observation_in (time, twin, signal, value, quality) FROM STDIN") as copy:
                    for r in obs:
                        copy.write_row((_utc(r["time"]), r["twin"], r["signal"], r["value"], r["quality"]))
                # rule_input: the alarm evaluator's journal, only of rows that are new (a retried batch once)
                cur.execute("WITH new AS (INSERT INTO observation (time, twin, signal, value, quality) "
                            "SELECT time, twin, signal, value, quality FROM observation_in "
                            "ON CONFLICT DO NOTHING RETURNING time, twin, signal, value) "
                            "INSERT INTO rule_input (time, twin, signal, value) SELECT * FROM new")
                cur.executemany("INSERT INTO signal (twin, name, unit) VALUES (%s, %s, %s) "
                                "ON CONFLICT (twin, name) DO UPDATE SET unit = EXCLUDED.unit "
                                "WHERE signal.unit IS DISTINCT FROM EXCLUDED.unit",
                                sorted({(r["twin"], r["signal"], r.get("unit") or "") for r in obs}))
            if events:  # the journal gets an alert only when its event_log row is new (sent again: once)
                cur.executemany("WITH new AS (INSERT INTO event_log (time, twin, severity, kind, body) "
                                "VALUES (%s, %s, %s, %s, %s::jsonb) ON CONFLICT DO NOTHING RETURNING time, twin) "
                                "INSERT INTO rule_input (time, twin, signal, kind, body) "
                                "SELECT time, twin, '', 'alert', %s::jsonb FROM new",
                                [(_utc(r["time"]), r["twin"], r["severity"], r["kind"], json.dumps(r["body"]),
                                  json.dumps({**r["body"], "severity": r["severity"]})) for r in events])

    def _write_sqlite(self, obs: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT OR IGNORE INTO observation (time, twin, signal, value, quality) "
                             "VALUES (?, ?, ?, ?, ?)",
                             [(_utc(r["time"]).isoformat(timespec="microseconds"), r["twin"], r["signal"],
                               r["value"], r["quality"]) for r in obs])
            conn.executemany("INSERT INTO signal (twin, name, unit) VALUES (?, ?, ?) "
                             "ON CONFLICT (twin, name) DO UPDATE SET unit = excluded.unit",
                             sorted({(r["twin"], r["signal"], r.get("unit") or "") for r in obs}))
            conn.executemany("INSERT INTO rule_input (time, twin, signal, value, kind, body) VALUES (?, ?, ?, ?, ?, ?)",
                             [(_utc(r["time"]).isoformat(timespec="microseconds"), r["twin"], r["signal"], r["value"],
                               "obs", None) for r in obs])
            for r in events:  # the journal gets an alert only when its event_log row is new (sent again: once)
                when = _utc(r["time"]).isoformat(timespec="microseconds")
                added = conn.execute("INSERT INTO event_log (time, twin, severity, kind, body) VALUES (?, ?, ?, ?, ?) "
                                     "ON CONFLICT DO NOTHING",
                                     (when, r["twin"], r["severity"], r["kind"], json.dumps(r["body"]))).rowcount
                if added:
                    conn.execute("INSERT INTO rule_input (time, twin, signal, value, kind, body) "
                                 "VALUES (?, ?, '', NULL, 'alert', ?)",
                                 (when, r["twin"], json.dumps({**r["body"], "severity": r["severity"]})))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # --- health and smoke -------------------------------------------------------
    def health(self) -> Health:
        try:
            self.open()
            self._conn.execute("SELECT 1").fetchone()
            return Health("ok", self.endpoint)
        except Exception as exc:
            self.close()
            return Health("down", f"{self.endpoint}: {exc}"[:300])

    def probe(self, marker: str) -> Probe:
        now = datetime.now(timezone.utc).isoformat()
        try:
            self.write([{"k": "obs", "time": now, "twin": "_smoke", "signal": marker, "value": 1.0,
                         "unit": "", "quality": "good"}])
        except (StoreDown, StoreRefused) as exc:
            return Probe(False, False, str(exc))
        param = "%s" if self.vendor == "postgresql" else "?"
        try:
            found = self._conn.execute(f"SELECT value FROM observation WHERE twin = '_smoke' AND signal = {param}",
                                       (marker,)).fetchall()
            for table, column in (("observation", "signal"), ("signal", "name")):
                self._conn.execute(f"DELETE FROM {table} WHERE twin = '_smoke' AND {column} = {param}", (marker,))
            return Probe(True, found == [(1.0,)], "" if found else "written row not found")
        except Exception as exc:
            self.close()
            return Probe(True, False, str(exc)[:300])
