"""One rule's evaluation step: (rule, state, an input or a tick) -> (state, what the alarm must do).

Pure functions over JSON state, so the evaluator can store the state in
the same transaction as the alarm change it causes, and tests can feed
values. Times are seconds since the epoch: an input's time is its
observation's, a tick's is the evaluator's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .rules import Leaf, Rule
from .types import SEVERITY_RANK

__all__ = ["Action", "feed", "tick", "new_state"]


@dataclass(frozen=True)
class Action:
    kind: str  # raise | update | clear
    severity: str = ""
    value: float | None = None


def new_state(rule: Rule, now: float) -> dict[str, Any]:
    """`seen` starts at the first evaluation, so a twin that never speaks goes silent after `no_data`."""
    return {"leaves": [{"on": False, "v": None, "hist": []} for _ in rule.leaves], "seen": now, "pending": None,
            "active": False, "since": None}


def _on(leaf: Leaf, was_on: bool, v: float) -> bool:
    """Hysteresis: once on, a leaf stays on until the value passes back over its clear level."""
    if leaf.direction == "above":
        return (v >= leaf.clear if leaf.clear < leaf.level else v > leaf.level) if was_on else v > leaf.level
    return (v <= leaf.clear if leaf.clear > leaf.level else v < leaf.level) if was_on else v < leaf.level


def _rate(leaf: Leaf, hist: list[list[float]]) -> float | None:
    if len(hist) < 2 or hist[-1][0] <= hist[0][0]:
        return None
    return (hist[-1][1] - hist[0][1]) / (hist[-1][0] - hist[0][0]) * leaf.per


def _leaf_value(leaf: Leaf, ls: dict[str, Any]) -> float | None:
    return _rate(leaf, ls["hist"]) if leaf.kind == "rate" else ls["v"]


def _update_leaf(leaf: Leaf, ls: dict[str, Any], t: float, v: float) -> None:
    ls["v"] = v
    if leaf.kind == "rate":
        ls["hist"] = [p for p in ls["hist"] if p[0] >= t - leaf.window] + [[t, v]]
    value = _leaf_value(leaf, ls)
    if value is not None:
        ls["on"] = _on(leaf, ls["on"], value)


def _condition(rule: Rule, state: dict[str, Any], now: float) -> bool:
    ons = []
    for leaf, ls in zip(rule.leaves, state["leaves"]):
        ons.append(now - state["seen"] > leaf.silent if leaf.kind == "no_data" else ls["on"])
    return all(ons) if rule.combine == "all" else any(ons)


def _severity(rule: Rule, elapsed: float, value: float | None) -> str:
    """The rule's severity, raised by time held (escalate) and by value bands (levels, which also lower it)."""
    best = rule.severity
    for after, sev in rule.escalate:
        if elapsed >= after and SEVERITY_RANK[sev] > SEVERITY_RANK[best]:
            best = sev
    if value is not None:
        for level, sev in rule.levels:
            if value >= level and SEVERITY_RANK[sev] > SEVERITY_RANK[best]:
                best = sev
    return best


def _first_value(rule: Rule, state: dict[str, Any]) -> float | None:
    for leaf, ls in zip(rule.leaves, state["leaves"]):
        if leaf.kind != "no_data":
            return _leaf_value(leaf, ls)
    return None


def _decide(rule: Rule, state: dict[str, Any], now: float) -> Action | None:
    value = _first_value(rule, state)
    if not _condition(rule, state, now):
        state["pending"] = None
        if state["active"]:
            state["active"], state["since"] = False, None
            return Action("clear", value=value)
        return None
    if state["pending"] is None:
        state["pending"] = now
    elapsed = now - state["pending"]
    if elapsed < rule.hold:
        return None
    severity = _severity(rule, elapsed - rule.hold, value)
    if not state["active"]:
        state["active"], state["since"], state["severity"] = True, now, severity
        return Action("raise", severity, value)
    if severity != state.get("severity") or value != state.get("last"):
        state["severity"], state["last"] = severity, value
        return Action("update", severity, value)
    return None


def feed(rule: Rule, state: dict[str, Any], t: float, signal: str, value: float) -> Action | None:
    """A new observation of one of the twin's signals."""
    for leaf, ls in zip(rule.leaves, state["leaves"]):
        if leaf.kind == "no_data":
            if not leaf.signal or leaf.signal == signal:
                state["seen"] = max(state["seen"], t)
        elif leaf.input_signal == signal:
            _update_leaf(leaf, ls, t, value)
    return _decide(rule, state, t)


def tick(rule: Rule, state: dict[str, Any], now: float) -> Action | None:
    """No new data: a pending period that completes, an escalation, a silence."""
    return _decide(rule, state, now)


def has_timer(rule: Rule) -> bool:
    """Rules a tick can change: a pending period, escalation, or a silence check."""
    return rule.hold > 0 or bool(rule.escalate) or any(leaf.kind == "no_data" for leaf in rule.leaves)
