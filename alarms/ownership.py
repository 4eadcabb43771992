"""Which twins this evaluator may evaluate: slots held by locks the database frees when the holder dies.

PostgreSQL: twins are spread over DTP_ALARM_SLOTS slots by `hashtext(twin id)`.
An evaluator holds a session advisory lock per slot on a connection of its
own (so a pool never hands the lock to someone else), and a shared "member"
lock that lets evaluators count each other and take a fair share
(ceil(slots / members)). When a process dies its connection closes and
PostgreSQL frees its locks; the survivors take the slots at their next tick.
Every evaluation transaction also takes a transaction lock per slot and
checks that the slot locks are still its own, so an evaluator that lost a
slot cannot commit after its successor started.

SQLite (`make run`): one evaluator owns everything, by an exclusive flock
on a file beside the database (also freed when the process dies).
"""

from __future__ import annotations

import fcntl
import math
import os
from typing import Any

from django.conf import settings
from django.db import connection

__all__ = ["Ownership", "SLOT_SQL"]

_KEY = 0x616C6D00  # "alm\0": the slot locks' class; +1 the member lock, +2 the per-transaction fence
SLOT_SQL = "mod(hashtext({col}) & 2147483647, {n})"


class Ownership:
    def __init__(self) -> None:
        self.slots = settings.DTP_ALARM_SLOTS
        self.vendor = connection.vendor
        self.owned: set[int] = set()
        self._conn: Any = None
        self._file: Any = None

    # --- keeping the locks ------------------------------------------------------------
    def refresh(self) -> bool:
        """Take a fair share of the free slots, give back what is above it. True when the set changed."""
        before = set(self.owned)
        try:
            if self.vendor == "sqlite":
                self._refresh_file()
            else:
                self._refresh_pg()
        except Exception:
            self.close()
            raise
        return before != self.owned

    def _refresh_file(self) -> None:
        if self._file is None:
            path = os.path.join(os.path.dirname(os.path.abspath(connection.settings_dict["NAME"])),
                                ".alarms-evaluator.lock")
            self._file = open(path, "a+")  # noqa: SIM115 - held for the process's life
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._file.close()
                self._file = None
                return
        self.owned = set(range(self.slots))

    def _open_pg(self) -> Any:
        import psycopg

        s = connection.settings_dict
        conn = psycopg.connect(dbname=s["NAME"], user=s.get("USER") or None, password=s.get("PASSWORD") or None,
                               host=s.get("HOST") or None, port=s.get("PORT") or None, autocommit=True,
                               application_name="dtp-alarms", connect_timeout=5)
        conn.execute("SELECT pg_advisory_lock_shared(%s, 0)", (_KEY + 1,))
        return conn

    def _refresh_pg(self) -> None:
        if self._conn is None:
            self.owned = set()
            self._conn = self._open_pg()
        members = self._conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s AND objid = 0 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (_KEY + 1,)).fetchone()[0]
        fair = math.ceil(self.slots / max(1, members))
        for slot in sorted(self.owned, reverse=True)[:max(0, len(self.owned) - fair)]:
            self._conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_KEY, slot))
            self.owned.discard(slot)
        want = fair - len(self.owned)
        if want > 0:
            got = self._conn.execute(
                "SELECT s FROM generate_series(0, %s) AS s WHERE NOT (s = ANY(%s)) AND pg_try_advisory_lock(%s, s) "
                "LIMIT %s", (self.slots - 1, sorted(self.owned), _KEY, want)).fetchall()
            self.owned |= {s for (s,) in got}

    def lock_pid(self) -> int | None:
        return self._conn.info.backend_pid if self._conn is not None else None

    # --- inside an evaluation transaction ----------------------------------------------
    def fence(self) -> bool:
        """Serialise with any other evaluator of these slots and confirm they are still ours."""
        if self.vendor == "sqlite" or not self.owned:
            return bool(self.owned)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(pg_advisory_xact_lock(%s, s)) FROM unnest(%s::int[]) AS s",
                           [_KEY + 2, sorted(self.owned)])
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s "
                           "AND objid = ANY(%s::int[]) AND pid = %s AND database = "
                           "(SELECT oid FROM pg_database WHERE datname = current_database())",
                           [_KEY, sorted(self.owned), self.lock_pid()])
            return cursor.fetchone()[0] == len(self.owned)

    def slot_filter(self, column: str) -> tuple[str, list[Any]]:
        """A SQL condition (and its parameters) for rows of twins in the owned slots."""
        if self.vendor == "sqlite":
            return "1 = 1", []
        return SLOT_SQL.format(col=column, n=int(self.slots)) + " = ANY(%s)", [sorted(self.owned)]

    def close(self) -> None:
        self.owned = set()
        for handle in (self._conn, self._file):
            if handle is not None:
                try:
                    handle.close()
                except Exception:
                    pass
        self._conn = self._file = None
