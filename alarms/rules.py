"""Rule declarations: YAML data in, compiled rules or placed problems out. Django-free, like registry.spec.

A rule is an id, a condition, a `for` (the pending period), a severity with
optional time escalation (`escalate`) and value bands (`levels`, which also
de-escalate). Conditions are leaves (threshold, rate, anomaly, no_data) or
`all`/`any` of leaves. See docs/alarms.md for every key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Leaf", "Rule", "parse_rules", "problems", "merge_rules", "parse_duration", "is_override", "ANOMALY_SUFFIX",
           "SEVERITIES"]

SEVERITIES = ("warning", "minor", "major", "critical")
ANOMALY_SUFFIX = ":anomaly_score"  # analytics publishes a detector's score as the signal `<signal>:anomaly_score`
MAX_RULES = 100
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_LEAF_KEYS = {"signal", "above", "below", "clear_below", "clear_above", "deadband", "rate_above", "rate_below",
              "per", "window", "anomaly_above", "no_data"}
_RULE_KEYS = _LEAF_KEYS | {"id", "for", "severity", "escalate", "levels", "all", "any", "description", "enabled"}

Path = tuple[Any, ...]


def parse_duration(value: Any) -> float:
    """'5s', '2m', '1h', '250ms' or a number of seconds; raises ValueError with a sentence."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 5s, 2m or 1h")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("must not be negative")
        return float(value)
    m = _DURATION.match(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"{value!r} is not a duration; write a number with ms, s, m, h or d, e.g. 5s or 2m")
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass(frozen=True)
class Leaf:
    kind: str  # threshold | rate | anomaly | no_data
    signal: str = ""
    direction: str = "above"  # above | below
    level: float = 0.0
    clear: float = 0.0  # the level the value must pass back over to clear (hysteresis)
    per: float = 1.0  # rate: units per `per` seconds
    window: float = 60.0  # rate: seconds of history compared
    silent: float = 0.0  # no_data: seconds without a message

    @property
    def input_signal(self) -> str:
        return self.signal + ANOMALY_SUFFIX if self.kind == "anomaly" else self.signal


@dataclass(frozen=True)
class Rule:
    id: str
    leaves: tuple[Leaf, ...]
    combine: str = "all"  # all | any
    hold: float = 0.0  # `for`
    severity: str = "major"
    escalate: tuple[tuple[float, str], ...] = ()  # (after seconds, severity), ascending
    levels: tuple[tuple[float, str], ...] = ()  # (level, severity) on the first leaf's value
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def kind(self) -> str:
        return self.combine if len(self.leaves) > 1 else self.leaves[0].kind

    @property
    def signals(self) -> set[str]:
        return {leaf.input_signal for leaf in self.leaves if leaf.signal}


class _Bad(Exception):
    def __init__(self, path: Path, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def _number(item: dict[str, Any], key: str, path: Path) -> float:
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(path + (key,), f"{key} must be a number, e.g. {key}: 30")
    return float(value)


def _duration(item: dict[str, Any], key: str, path: Path, default: float) -> float:
    if key not in item:
        return default
    try:
        return parse_duration(item[key])
    except ValueError as exc:
        raise _Bad(path + (key,), f"{key} {exc}") from None


def _leaf(item: Any, path: Path) -> Leaf:
    if not isinstance(item, dict):
        raise _Bad(path, "a condition is a mapping such as {signal: temp, above: 30}")
    unknown = sorted(set(item) - _LEAF_KEYS)
    if unknown and path and path[-2] in ("all", "any"):
        raise _Bad(path + (unknown[0],), f"{unknown[0]!r} is not a condition key; use one of "
                                         f"{', '.join(sorted(_LEAF_KEYS))}")
    kinds = [k for k in ("above", "below", "rate_above", "rate_below", "anomaly_above", "no_data") if k in item]
    if len(kinds) != 1:
        where = path + (kinds[1],) if len(kinds) > 1 else path
        raise _Bad(where, "give exactly one of above, below, rate_above, rate_below, anomaly_above or no_data"
                   + (f" (found {', '.join(kinds)})" if kinds else ""))
    kind = kinds[0]
    signal = item.get("signal", "")
    if not isinstance(signal, str) or (kind != "no_data" and not signal):
        raise _Bad(path + ("signal",) if "signal" in item else path,
                   "signal must name one of the twin's signals (a stream's signal), e.g. signal: temp_room_1")
    if kind == "no_data":
        return Leaf("no_data", signal, silent=_duration(item, "no_data", path, 0.0))
    direction = "below" if kind in ("below", "rate_below") else "above"
    level = _number(item, kind, path)
    clear = _clear_level(item, path, direction, level)
    if kind.startswith("rate_"):
        return Leaf("rate", signal, direction, level, clear, per=_duration(item, "per", path, 1.0) or 1.0,
                    window=_duration(item, "window", path, 60.0))
    return Leaf("anomaly" if kind == "anomaly_above" else "threshold", signal, direction, level, clear)


def _clear_level(item: dict[str, Any], path: Path, direction: str, level: float) -> float:
    if "deadband" in item:
        band = _number(item, "deadband", path)
        if band < 0:
            raise _Bad(path + ("deadband",), "deadband must not be negative")
        return level - band if direction == "above" else level + band
    key = "clear_below" if direction == "above" else "clear_above"
    wrong = "clear_above" if direction == "above" else "clear_below"
    if wrong in item:
        raise _Bad(path + (wrong,), f"a condition that fires {direction} a level clears with {key}, not {wrong}")
    if key not in item:
        return level
    clear = _number(item, key, path)
    if (direction == "above" and clear > level) or (direction == "below" and clear < level):
        raise _Bad(path + (key,), f"{key} ({clear:g}) must be on the safe side of the level ({level:g})")
    return clear


def _severity(value: Any, path: Path) -> str:
    if value not in SEVERITIES:
        raise _Bad(path, f"severity must be one of {', '.join(SEVERITIES)}")
    return value


def _steps(item: dict[str, Any], key: str, path: Path, by: str) -> tuple[tuple[float, str], ...]:
    steps = item.get(key, [])
    if not isinstance(steps, list):
        raise _Bad(path + (key,), f"{key} is a list such as [{{{by}: ..., severity: critical}}]")
    out = []
    for i, step in enumerate(steps):
        here = path + (key, i)
        if not isinstance(step, dict) or by not in step or "severity" not in step:
            raise _Bad(here, f"each {key} entry needs {by} and severity")
        value = _duration(step, by, here, 0.0) if by == "after" else _number(step, by, here)
        out.append((value, _severity(step["severity"], here + ("severity",))))
    return tuple(sorted(out))


def _rule(item: Any, path: Path) -> Rule:
    if not isinstance(item, dict):
        raise _Bad(path, "a rule is a mapping with at least id and a condition, e.g. {id: hot, signal: t, above: 30}")
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise _Bad(path + ("id",) if "id" in item else path,
                   "every rule needs an id: letters, digits, '_', '.', ':' or '-', at most 128 characters")
    unknown = sorted(set(item) - _RULE_KEYS)
    if unknown:
        raise _Bad(path + (unknown[0],), f"{unknown[0]!r} is not a rule key; see docs/alarms.md for the keys")
    combos = [k for k in ("all", "any") if k in item]
    if len(combos) > 1:
        raise _Bad(path + ("any",), "give all or any, not both")
    if combos:
        key = combos[0]
        if not isinstance(item[key], list) or not item[key]:
            raise _Bad(path + (key,), f"{key} is a non-empty list of conditions")
        leaves = tuple(_leaf(c, path + (key, i)) for i, c in enumerate(item[key]))
    else:
        leaves = (_leaf({k: v for k, v in item.items() if k in _LEAF_KEYS}, path),)
    return Rule(id=rule_id, leaves=leaves, combine=combos[0] if combos else "all",
                hold=_duration(item, "for", path, 0.0),
                severity=_severity(item.get("severity", "major"), path + ("severity",)),
                escalate=_steps(item, "escalate", path, "after"), levels=_steps(item, "levels", path, "above"),
                raw=item)


def parse_rules(data: Any, path: Path = ("rules",)) -> tuple[list[Rule], list[tuple[Path, str]]]:
    """Compile a `rules:` list; every problem comes with the data path it is about."""
    if not isinstance(data, list):
        return [], [(path, "rules is a list of rules (each a mapping starting with `- id: ...`)")]
    if len(data) > MAX_RULES:
        return [], [(path, f"at most {MAX_RULES} rules per file; split them over the model and its twins")]
    rules, found, seen = [], [], {}
    for i, item in enumerate(data):
        try:
            rule = _rule(item, path + (i,))
        except _Bad as bad:
            found.append((bad.path, bad.message))
            continue
        if rule.id in seen:
            found.append((path + (i, "id"), f"rule id {rule.id!r} is already used by rules[{seen[rule.id]}]; "
                                            "ids are unique per file"))
            continue
        seen[rule.id] = i
        rules.append(rule)
    return rules, found


def is_override(item: Any) -> bool:
    """A twin's rule without a signal and without all/any changes the parameters of its model's rule of that id."""
    return isinstance(item, dict) and "signal" not in item and "all" not in item and "any" not in item \
        and "no_data" not in item


def _override_problems(item: dict[str, Any], path: Path) -> list[tuple[Path, str]]:
    """What can be checked of an override alone: its keys and their types (the merged rule is checked on load)."""
    found: list[tuple[Path, str]] = []
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        return [(path, "every rule needs an id; an override names the model rule it changes")]
    for key, value in item.items():
        here = path + (key,)
        if key not in _RULE_KEYS:
            found.append((here, f"{key!r} is not a rule key; see docs/alarms.md for the keys"))
        elif key in ("for", "per", "window"):
            try:
                parse_duration(value)
            except ValueError as exc:
                found.append((here, f"{key} {exc}"))
        elif key == "severity" and value not in SEVERITIES:
            found.append((here, f"severity must be one of {', '.join(SEVERITIES)}"))
        elif key in _LEAF_KEYS - {"signal", "no_data"} and (isinstance(value, bool)
                                                           or not isinstance(value, (int, float))):
            found.append((here, f"{key} must be a number, e.g. {key}: 30"))
    return found


def problems(data: Any, path: Path = ("rules",)) -> list[tuple[Path, str]]:
    """A twin's `rules:`: full rules are checked whole, overrides (see is_override) by their keys."""
    if not isinstance(data, list):
        return parse_rules(data, path)[1]
    found = parse_rules([r for r in data if not is_override(r)], path)[1]
    positions = [i for i, r in enumerate(data) if not is_override(r)]
    remapped = [((path[0], positions[p[1]]) + p[2:] if len(p) > 1 else p, m) for p, m in found]
    for i, item in enumerate(data):
        if is_override(item):
            remapped += _override_problems(item, path + (i,))
    return remapped


def merge_rules(model_rules: list[dict[str, Any]], twin_rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A twin's rule with a model rule's id overrides that rule's keys; the rest are added.

    An override that sets a different condition kind (below for above) replaces the model's
    condition keys instead of mixing the two.
    """
    own = {r.get("id"): r for r in twin_rules if isinstance(r, dict)}
    merged = []
    for base in model_rules:
        over = own.pop(base.get("id"), None)
        if over is None:
            merged.append(base)
            continue
        if set(over) & _LEAF_KEYS - {"signal"} or "all" in over or "any" in over:
            base = {k: v for k, v in base.items() if k not in _LEAF_KEYS - {"signal"} and k not in ("all", "any")}
        merged.append({**base, **over})
    return merged + [r for r in twin_rules if isinstance(r, dict) and r.get("id") in own]
