"""Decode one MQTT message into an observation or an alert, or say why not.

The format is the one of docs/messages.md. A message that does not fit is not
an exception: it comes back as a Rejected with a reason the ingest counts and
a sentence an operator can act on.

Decode also refuses what no store could hold, so one message can never stop
a store's lane: text with NUL or other control characters (or lone
surrogates), numbers that are not finite (JSON's NaN/Infinity), alert bodies
nested deeper than MAX_DEPTH, and timestamps outside the window the Limits
give around the time of arrival.

A payload may also be a batch: a JSON array of such objects (docs/messages.md),
each decoded and checked exactly like a message of its own, so one message
carries many observations and costs one protocol round trip. orjson parses
the happy path; a payload it refuses is parsed again by the standard library
only to word the reason (NaN, nesting) the way the checks below do.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from .routing import Route

__all__ = ["Observation", "Alert", "Rejected", "Limits", "decode", "decode_all", "QUALITIES", "SEVERITIES",
           "MAX_BATCH"]

QUALITIES = ("good", "uncertain", "bad")
SEVERITIES = ("debug", "info", "warning", "critical")
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_DEPTH = 32  # nesting of an alert body
MAX_BATCH = 1000  # items in one batch payload
# C0 controls but tab, newline and carriage return; DEL; C1 controls; lone surrogates (not UTF-8).
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Limits:
    """How far a message's `ts` may lie from its arrival (DTP_INGEST_MAX_FUTURE_SECONDS / _MAX_PAST_DAYS)."""

    max_future: timedelta = timedelta(days=1)
    max_past: timedelta = timedelta(days=3650)


@dataclass(frozen=True)
class Observation:
    time: datetime
    twin: str
    tenant: str
    signal: str
    value: float
    unit: str
    quality: str

    def record(self) -> dict[str, Any]:
        """The spool/writer form: plain JSON values."""
        return {"k": "obs", "time": self.time.isoformat(), "twin": self.twin, "signal": self.signal,
                "value": self.value, "unit": self.unit, "quality": self.quality}


@dataclass(frozen=True)
class Alert:
    time: datetime
    twin: str
    tenant: str
    severity: str
    body: dict[str, Any]

    def record(self) -> dict[str, Any]:
        return {"k": "event", "time": self.time.isoformat(), "twin": self.twin, "tenant": self.tenant,
                "severity": self.severity, "kind": "alert", "body": self.body}

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> "Alert":
        return cls(datetime.fromisoformat(r["time"]), r["twin"], r.get("tenant", ""), r["severity"], r["body"])


@dataclass(frozen=True)
class Rejected:
    reason: str  # a short counter key: bad_json, no_value, ...
    detail: str


def _time(raw: Any, received: datetime) -> datetime | Rejected:
    if raw is None:
        return received
    if isinstance(raw, bool):
        return Rejected("bad_ts", "'ts' must be an ISO 8601 string or epoch seconds, not a boolean")
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw):
            return Rejected("bad_ts", "'ts' must be a finite number of epoch seconds")
        try:
            return datetime.fromtimestamp(raw, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return Rejected("bad_ts", f"'ts' {raw!r} is out of range for epoch seconds")
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw)  # Python 3.11 reads the trailing Z itself
        except ValueError:
            return Rejected("bad_ts", f"'ts' {raw[:40]!r} is not ISO 8601, e.g. 2026-11-26T07:00:00Z")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return Rejected("bad_ts", "'ts' must be an ISO 8601 string or epoch seconds")


def _window(when: datetime, received: datetime, limits: Limits) -> Rejected | None:
    if when - received > limits.max_future:
        return Rejected("ts_future", f"'ts' {when.isoformat()} is more than {limits.max_future} ahead of the "
                                     "ingest's clock; check the device's clock (or DTP_INGEST_MAX_FUTURE_SECONDS)")
    if received - when > limits.max_past:
        return Rejected("ts_past", f"'ts' {when.isoformat()} is more than {limits.max_past.days} days old; "
                                   "check the device's clock (or DTP_INGEST_MAX_PAST_DAYS)")
    return None


def _unstorable(value: Any, path: str, depth: int = 0) -> Rejected | None:
    """A reason no store can hold `value` (a JSON value), naming where in the payload; None when it is fine."""
    if isinstance(value, str):
        bad = _BAD_CHAR.search(value)
        if bad:
            return Rejected("bad_text", f"{path} contains the control character U+{ord(bad.group()):04X} at "
                                        f"position {bad.start()}; send printable UTF-8 text")
    elif isinstance(value, float) and not math.isfinite(value):
        return Rejected("non_finite", f"{path} is {value!r}; numbers must be finite")
    elif isinstance(value, (dict, list)):
        if depth >= MAX_DEPTH:
            return Rejected("too_deep", f"{path} is nested more than {MAX_DEPTH} levels deep")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            found = (_unstorable(key, f"{path} key {str(key)[:20]!r}", depth) if isinstance(key, str) else None) \
                or _unstorable(item, f"{path}.{key}" if isinstance(value, dict) else f"{path}[{key}]", depth + 1)
            if found:
                return found
    return None


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def _parse(payload: bytes) -> Any:
    """The JSON document of a payload, or why it is none (orjson first; json only to word a refusal)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejected("too_large", f"payload of {len(payload)} bytes is over the {MAX_PAYLOAD_BYTES} byte limit")
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        pass  # NaN, Infinity, deep nesting or big integers: the standard library reads (or words) those
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Rejected("bad_json", f"payload is not JSON: {exc}")
    except RecursionError:
        return Rejected("too_deep", f"payload is nested more than {MAX_DEPTH} levels deep")


def decode(route: Route, payload: bytes, received: datetime,
           limits: Limits = Limits()) -> Observation | Alert | Rejected:
    """The observation or alert a single-object payload carries, or the reason it cannot be stored."""
    doc = _parse(payload)
    if isinstance(doc, Rejected):
        return doc
    return _item(route, doc, received, limits, "payload")


def decode_all(route: Route, payload: bytes, received: datetime,
               limits: Limits = Limits()) -> list[Observation | Alert | Rejected]:
    """What a payload carries: one item for an object, one per element for a batch (a JSON array).

    Each element of a batch is checked like a message of its own; a refused one does not
    take the others with it.
    """
    doc = _parse(payload)
    if isinstance(doc, Rejected):
        return [doc]
    if not isinstance(doc, list):
        return [_item(route, doc, received, limits, "payload")]
    if not doc:
        return [Rejected("bad_json", "the batch is an empty array; send [{\"value\": 1.5}, ...]")]
    if len(doc) > MAX_BATCH:
        return [Rejected("too_large", f"the batch holds {len(doc)} items; at most {MAX_BATCH} per message")]
    return [_item(route, d, received, limits, f"payload[{i}]") for i, d in enumerate(doc)]


def _item(route: Route, doc: Any, received: datetime, limits: Limits,
          where: str) -> Observation | Alert | Rejected:
    if not isinstance(doc, dict):
        return Rejected("bad_json", f"{where} must be a JSON object such as {{\"value\": 1.5}}")
    when = _time(doc.get("ts"), received)
    if isinstance(when, Rejected):
        return when
    # An observation's value has its own check below (bad_value); everything else must be storable text/JSON.
    checked = doc if route.alerts else {k: v for k, v in doc.items() if k != "value"}
    refused = _window(when, received, limits) or _unstorable(checked, where)
    if refused:
        return refused
    if route.alerts:
        severity = doc.get("severity", "warning")
        if severity not in SEVERITIES:
            return Rejected("bad_severity", f"'severity' must be one of {', '.join(SEVERITIES)}")
        body = {k: v for k, v in doc.items() if k != "ts"}
        return Alert(when, route.twin, route.tenant, severity, body)
    if "value" not in doc:
        return Rejected("no_value", "payload has no 'value'; send {\"value\": <number>}")
    value = _number(doc["value"])
    if value is None:
        return Rejected("bad_value", f"'value' must be a finite number, not {json.dumps(doc['value'])[:40]}")
    quality = doc.get("quality", "good")
    if quality not in QUALITIES:
        return Rejected("bad_quality", f"'quality' must be one of {', '.join(QUALITIES)}")
    signal = doc.get("signal") or route.signal
    if not isinstance(signal, str) or not signal:
        return Rejected("no_signal", "the stream declares no signal name and the payload has no 'signal'")
    unit = doc.get("unit") or route.unit
    return Observation(when, route.twin, route.tenant, signal, value, str(unit), quality)
