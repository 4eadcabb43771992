"""Rule declarations into their tables, called by reconcile inside its transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .models import ModelRules, TwinRules

__all__ = ["save_twin_rules", "save_model_rules"]


def save_twin_rules(declared: Mapping[str, tuple[Sequence[dict[str, Any]], Sequence[dict[str, Any]]]],
                    deleted: Sequence[str], now: datetime) -> None:
    """Write the twins' (`rules:`, `anomaly:`) that changed (an unchanged pair keeps its timestamp: the catalog
    reloads less)."""
    if deleted:
        TwinRules.objects.filter(twin_id__in=list(deleted)).delete()
    if not declared:
        return
    current = {t: (r, a) for t, r, a in
               TwinRules.objects.filter(twin_id__in=list(declared)).values_list("twin_id", "rules", "anomaly")}
    gone = [t for t, (r, a) in declared.items() if not r and not a and t in current]
    if gone:
        TwinRules.objects.filter(twin_id__in=gone).delete()
    changed = [TwinRules(twin_id=t, rules=list(r), anomaly=list(a), updated_at=now) for t, (r, a) in declared.items()
               if (r or a) and current.get(t) != (list(r), list(a))]
    TwinRules.objects.bulk_create(changed, update_conflicts=True, unique_fields=["twin_id"],
                                  update_fields=["rules", "anomaly", "updated_at"])


def save_model_rules(files: Mapping[str, tuple[str, str, list[dict[str, Any]], list[dict[str, Any]]]],
                     roots_q: Any, now: datetime, keep: set[str]) -> None:
    """Write the changed rules files (path -> (dtmi, sha256, rules, anomaly)); drop those under the roots not in
    `keep`."""
    ModelRules.objects.filter(roots_q).exclude(path__in=sorted(keep)).delete()
    for path, (dtmi, sha, rules, anomaly) in files.items():
        ModelRules.objects.update_or_create(path=path, defaults={"dtmi": dtmi, "sha256": sha, "rules": rules,
                                                                 "anomaly": anomaly, "updated_at": now})
