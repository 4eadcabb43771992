"""Rule declarations into their tables, called by reconcile inside its transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .models import ModelRules, TwinRules

__all__ = ["save_twin_rules", "save_model_rules"]


def save_twin_rules(rules: Mapping[str, Sequence[dict[str, Any]]], deleted: Sequence[str], now: datetime) -> None:
    """Write the twins' `rules:` that changed (an unchanged list keeps its timestamp: the catalog reloads less)."""
    if deleted:
        TwinRules.objects.filter(twin_id__in=list(deleted)).delete()
    if not rules:
        return
    current = dict(TwinRules.objects.filter(twin_id__in=list(rules)).values_list("twin_id", "rules"))
    gone = [t for t, r in rules.items() if not r and t in current]
    if gone:
        TwinRules.objects.filter(twin_id__in=gone).delete()
    changed = [TwinRules(twin_id=t, rules=list(r), updated_at=now) for t, r in rules.items()
               if r and current.get(t) != list(r)]
    TwinRules.objects.bulk_create(changed, update_conflicts=True, unique_fields=["twin_id"],
                                  update_fields=["rules", "updated_at"])


def save_model_rules(files: Mapping[str, tuple[str, str, list[dict[str, Any]]]], roots_q: Any,
                     now: datetime, keep: set[str]) -> None:
    """Write the changed rules files (path -> (dtmi, sha256, rules)); drop those under the roots not in `keep`."""
    ModelRules.objects.filter(roots_q).exclude(path__in=sorted(keep)).delete()
    for path, (dtmi, sha, rules) in files.items():
        ModelRules.objects.update_or_create(path=path, defaults={"dtmi": dtmi, "sha256": sha, "rules": rules,
                                                                 "updated_at": now})
