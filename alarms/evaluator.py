"""The evaluator: journal rows and ticks in, rule state and alarms out, one transaction per pass.

Each pass (every DTP_ALARM_TICK seconds, or sooner when asked):
1. keep this evaluator's slots (alarms.ownership);
2. in ONE transaction: fence the slots, read the owned twins' journal rows
   (rule_input, in id order), feed each observation to the twin's anomaly
   detectors (alarms.scoring) and it and its score to the twins' rules, tick
   every rule (pending periods, escalation, silence), write the alarms through
   alarms.services, the scores as observations, upsert the changed rule and
   detector state, delete the rows read.
A crash anywhere before the commit leaves journal, state, scores and alarms as
they were, so the next owner (or this one after a restart) does the same pass again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import engine, services
from .catalog import Catalog
from .models import RuleState
from .ownership import Ownership
from .scoring import Scoring
from .types import Source

__all__ = ["Evaluator", "start_thread"]

log = logging.getLogger(__name__)
_DEVICE_SEVERITY = {"warning": "warning", "critical": "critical"}


def _epoch(value: Any) -> float:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_timezone.utc)
    return value.timestamp()


def _at(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=dt_timezone.utc)


class Evaluator:
    def __init__(self) -> None:
        self.ownership = Ownership()
        self.catalog = Catalog()
        self.states: dict[tuple[str, str], dict[str, Any]] = {}  # a cache of what RuleState holds
        self.scoring = Scoring()  # the detectors, a cache of what DetectorState holds
        self.counts = {"passes": 0, "rows": 0, "raised": 0, "cleared": 0}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._sweep = True  # look for alarms whose rule or twin is gone (at start, then on each change)

    # --- one pass ------------------------------------------------------------------------
    def run_once(self) -> int:
        """One pass; returns the journal rows consumed. The cache is dropped whenever it may be stale."""
        try:
            if self.ownership.refresh():
                self._forget()
                self._sweep = True
            if self.catalog.refresh():
                self._sweep = True
            if not self.ownership.owned:
                return 0
            with transaction.atomic():
                if not self.ownership.fence():
                    self._forget()
                    return 0
                return self._pass(time.time())
        except Exception:
            self._forget()
            self._sweep = True
            raise

    def _forget(self) -> None:
        self.states = {}
        self.scoring.reset()

    def _pass(self, now: float) -> int:
        rows = self._journal()
        owned = self._owned_twins()
        if not self.states:
            self._load_states(owned)
        self.scoring.load(owned)
        dirty: set[tuple[str, str]] = set()
        for row_id, t, twin_id, signal, value, kind, body in rows:
            if twin_id not in owned:
                continue
            if kind == "alert":
                self._device_alert(twin_id, _epoch(t), body)
                continue
            at = _epoch(t)
            for name, number in [(signal, value), *self.scoring.feed(self.catalog.twins[twin_id], t, at, signal,
                                                                     value)]:
                self._feed(twin_id, at, name, number, now, dirty)
        for twin_id in owned:
            for rule in self.catalog.twins[twin_id].rules:
                state = self._state(twin_id, rule, now, dirty)
                before = json.dumps(state, sort_keys=True)
                self._act(twin_id, rule, engine.tick(rule, state, now), now)
                if json.dumps(state, sort_keys=True) != before:
                    dirty.add((twin_id, rule.id))
        self._save(dirty)
        self.scoring.save()
        if self._sweep:  # the rules or the slots changed: alarms no rule can clear any more are cleared
            where, params = self.ownership.slot_filter("twin_id")
            self.counts["cleared"] += services.clear_orphans(
                slot_where=where, params=params, at=_at(now),
                rules={t: {r.id for r in rs.rules} for t, rs in self.catalog.twins.items()})
            self._sweep = False
        self._delete([r[0] for r in rows])
        self.counts["passes"] += 1
        self.counts["rows"] += len(rows)
        return len(rows)

    def _feed(self, twin_id: str, at: float, signal: str, value: float | None, now: float,
              dirty: set[tuple[str, str]]) -> None:
        for rule in self.catalog.twins[twin_id].rules:
            if signal in rule.signals or any(leaf.kind == "no_data" for leaf in rule.leaves):
                state = self._state(twin_id, rule, now)
                self._act(twin_id, rule, engine.feed(rule, state, at, signal, value), at)
                dirty.add((twin_id, rule.id))

    def _journal(self) -> list[tuple]:
        where, params = self.ownership.slot_filter("twin")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, time, twin, signal, value, kind, body FROM rule_input WHERE {where} "
                           f"ORDER BY id LIMIT {int(settings.DTP_ALARM_BATCH)}", params)
            return cursor.fetchall()

    def _owned_twins(self) -> list[str]:
        if connection.vendor == "sqlite":
            return [t for t, rs in self.catalog.twins.items()]
        where, params = self.ownership.slot_filter("id")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM registry_twin WHERE {where}", params)
            return [t for (t,) in cursor.fetchall() if t in self.catalog.twins]

    def _delete(self, ids: list[int]) -> None:
        if not ids:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"DELETE FROM rule_input WHERE id IN ({','.join('%s' for _ in ids)})", ids)
            else:
                cursor.execute("DELETE FROM rule_input WHERE id = ANY(%s)", [ids])

    # --- state ---------------------------------------------------------------------------
    def _load_states(self, twins: list[str]) -> None:
        for chunk in range(0, len(twins), 500):
            for row in RuleState.objects.filter(twin_id__in=twins[chunk:chunk + 500]):
                self.states[(row.twin_id, row.rule)] = row.state
        self.states.setdefault(("", ""), {})  # marks the cache as loaded even when empty

    def _state(self, twin_id: str, rule: Any, now: float, dirty: set | None = None) -> dict[str, Any]:
        key = (twin_id, rule.id)
        state = self.states.get(key)
        shape = [leaf.kind for leaf in rule.leaves]
        if state is None or state.get("shape") != shape:  # new rule, or its conditions changed: start afresh
            state = {**engine.new_state(rule, now), "shape": shape}
            self.states[key] = state
            if dirty is not None:
                dirty.add(key)
        return state

    def _save(self, dirty: set[tuple[str, str]]) -> None:
        if not dirty:
            return
        now = timezone.now()
        RuleState.objects.bulk_create(
            [RuleState(twin_id=t, rule=r, state=self.states[(t, r)], updated_at=now) for t, r in sorted(dirty)],
            update_conflicts=True, unique_fields=["twin_id", "rule"], update_fields=["state", "updated_at"])

    # --- alarms --------------------------------------------------------------------------
    def _act(self, twin_id: str, rule: Any, action: engine.Action | None, t: float) -> None:
        if action is None:
            return
        tenant = self.catalog.twins[twin_id].tenant
        if action.kind == "clear":
            if services.clear_by_rule(twin_id=twin_id, rule=rule.id, value=action.value, at=_at(t)):
                self.counts["cleared"] += 1
            return
        direction = rule.leaves[0].direction
        _, kind = services.raise_or_update(twin_id=twin_id, tenant=tenant, rule=rule.id, severity=action.severity,
                                           value=action.value, at=_at(t), rule_kind=rule.kind,
                                           details={"direction": direction, "definition": rule.raw})
        if kind == "raise":
            self.counts["raised"] += 1

    def _device_alert(self, twin_id: str, t: float, body: Any) -> None:
        """A stack's own alert: warning/critical raise `device:<signal>`, an info "... cleared" clears it."""
        body = json.loads(body) if isinstance(body, str) else (body or {})
        rule = f"device:{body.get('signal') or 'alert'}"
        value = body.get("value") if isinstance(body.get("value"), (int, float)) else None
        severity = _DEVICE_SEVERITY.get(body.get("severity", ""))
        if severity:
            services.raise_or_update(twin_id=twin_id, tenant=self.catalog.twins[twin_id].tenant, rule=rule,
                                     severity=severity, value=value, at=_at(t), rule_kind="device",
                                     source=Source.DEVICE, details={"message": body.get("message", "")})
        elif "cleared" in str(body.get("message", "")):
            services.clear_by_rule(twin_id=twin_id, rule=rule, value=value, at=_at(t), by="source")

    # --- the loop ------------------------------------------------------------------------
    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("alarm evaluation pass failed; it is tried again at the next tick")
            self._wake.wait(settings.DTP_ALARM_TICK)
            self._wake.clear()
        self.ownership.close()
        connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()


def start_thread() -> Evaluator | None:
    """The evaluator as a daemon thread of the calling process (`manage.py ingest`), unless disabled."""
    if not settings.DTP_ALARM_EVALUATOR:
        return None
    evaluator = Evaluator()
    threading.Thread(target=evaluator.run, name="alarms-evaluator", daemon=True).start()
    return evaluator
