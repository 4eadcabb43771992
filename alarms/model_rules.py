"""Model rules files (`*.rules.yaml` under the model roots): read, validated with positions, stored.

A file names the model it applies to and lists rules for every twin of that model:

    model: dtmi:acme:building:Lift;1
    rules:
      - {id: hot-motor, signal: motor_temp, above: 80, for: 1m, clear_below: 75, severity: major}
      - {id: odd-vibration, signal: vibration, anomaly_above: 0.9, for: 10s}
    anomaly:
      - {signal: vibration}            # a detector (alarms.anomaly_config); its score feeds anomaly_above

It is reconciled inside the twin scan's transaction (registry.reconcile.models
calls `reconcile_rules_files`). A broken file keeps its last good rules and
its errors go to the spec-errors panel like a broken twin.yaml's.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from typing import Any

import yaml

from registry.scanner import FileRules, UnreadableFile, read_regular_file
from registry.spec import SpecError, _Builder, _place, _Refused

from .anomaly_config import problems as detector_problems
from .models import ModelRules
from .rules import parse_rules
from .store import save_model_rules

__all__ = ["RULES_SUFFIX", "find_rules_files", "parse_rules_file", "reconcile_rules_files"]

RULES_SUFFIX = ".rules.yaml"
MAX_RULES_BYTES = 256 * 1024
_DTMI = re.compile(r"^dtmi:[A-Za-z][A-Za-z0-9_:]*;[1-9][0-9]*(\.[1-9][0-9]*)?$")
RULES_FILES = FileRules(noun="rules file", roots="model roots", roots_setting="DTP_MODELS_ROOTS",
                        limit_hint="rules files are limited to {max_bytes:,} bytes; split the rules over several models")


def find_rules_files(roots: Sequence[str]) -> list[str]:
    found = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(os.path.abspath(root), followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            found += [os.path.join(dirpath, n) for n in sorted(filenames)
                      if n.endswith(RULES_SUFFIX) and not n.startswith(".")]
    return found


def parse_rules_file(data: bytes, path: str) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]] | list[SpecError]:
    """(dtmi, rules, anomaly) or the file's errors at file:line:column."""
    try:
        root = yaml.compose(data.decode("utf-8").removeprefix("\ufeff"), Loader=yaml.CSafeLoader)
    except UnicodeDecodeError:
        return [SpecError(path, 1, 1, "the file is not valid UTF-8; save it as UTF-8")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return [SpecError(path, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1,
                          f"YAML syntax error: {' '.join(p for p in (exc.context, exc.problem) if p)}")]
    builder = _Builder()
    try:
        doc = builder.build(root) if root is not None else None
    except _Refused as exc:
        return [SpecError(path, exc.mark.line + 1 if exc.mark else 1, exc.mark.column + 1 if exc.mark else 1,
                          exc.message)]
    if not isinstance(doc, dict):
        return [SpecError(path, 1, 1, "a rules file is a mapping with `model: <dtmi>` and `rules: [...]`")]
    problems: list[tuple[tuple, str, bool]] = []
    unknown = sorted(set(doc) - {"model", "rules", "anomaly", "description"})
    problems += [((k,), f"unknown key {k!r}; a rules file has model, rules, anomaly and description", True)
                 for k in unknown]
    if not isinstance(doc.get("model"), str) or not _DTMI.match(doc.get("model", "")):
        problems.append((("model",), "model must be the versioned DTMI of the DTDL Interface the rules apply to, "
                                     "e.g. model: dtmi:acme:building:Lift;1", False))
    if "rules" in doc or "anomaly" not in doc:  # a file of detectors alone needs no rules
        _, found = parse_rules(doc.get("rules"), ("rules",))
        problems += [(p, f"{'.'.join(str(x) for x in p)}: {m}", False) for p, m in found]
    problems += [(p, f"{'.'.join(str(x) for x in p)}: {m}", False) for p, m in detector_problems(doc.get("anomaly"))]
    if problems:
        return sorted({_place(path, builder, p, m, k) for p, m, k in problems},
                      key=lambda e: (e.line, e.column, e.message))
    return doc["model"], doc.get("rules", []), doc.get("anomaly", [])


def reconcile_rules_files(plan: Any, roots: Sequence[str], under_q: Any) -> dict[str, list[SpecError]]:
    """Store every good rules file under `roots`, keep a broken one's last good rules; return the errors by path."""
    stored = {r.path: r for r in ModelRules.objects.filter(under_q)}
    keep: dict[str, tuple[str, str, list, list]] = {}
    errors: dict[str, list[SpecError]] = {}
    for path in find_rules_files(roots):
        try:
            data = read_regular_file(path, roots, MAX_RULES_BYTES, RULES_FILES)
        except UnreadableFile as exc:
            errors[path] = [SpecError(path, 1, 1, str(exc))]
            result: Any = errors[path]
        else:
            result = parse_rules_file(data, path)
        if isinstance(result, list):
            errors[path] = result
            if path in stored:
                old = stored[path]
                keep[path] = (old.dtmi, old.sha256, old.rules, old.anomaly)
            continue
        dtmi, rules, anomaly = result
        keep[path] = (dtmi, hashlib.sha256(data).hexdigest(), rules, anomaly)
    unchanged = {p for p, (d, sha, _r, _a) in keep.items() if p in stored and stored[p].sha256 == sha
                 and stored[p].dtmi == d}
    if unchanged != set(keep) or set(stored) != set(keep):
        save_model_rules({p: v for p, v in keep.items() if p not in unchanged}, under_q, plan.now,
                         keep=set(keep))
    return errors
