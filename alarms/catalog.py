"""The rules each twin has: its model's rules file, merged with the twin's own `rules:` (overrides by id)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import Max

from registry.models import Twin

from .models import ModelRules, TwinRules
from .rules import Rule, merge_rules, parse_rules

__all__ = ["TwinRuleSet", "Catalog"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TwinRuleSet:
    twin_id: str
    tenant: str
    rules: tuple[Rule, ...]


class Catalog:
    """Loaded once and again whenever a twin, a twin's rules or a model's rules changed."""

    def __init__(self) -> None:
        self.mark: tuple = ()
        self.twins: dict[str, TwinRuleSet] = {}

    def _current_mark(self) -> tuple:
        return (Twin.objects.count(), Twin.objects.aggregate(m=Max("updated_at"))["m"],
                TwinRules.objects.count(), TwinRules.objects.aggregate(m=Max("updated_at"))["m"],
                ModelRules.objects.count(), ModelRules.objects.aggregate(m=Max("updated_at"))["m"])

    def refresh(self) -> bool:
        mark = self._current_mark()
        if mark == self.mark:
            return False
        by_model: dict[str, list] = {}
        for dtmi, rules in ModelRules.objects.values_list("dtmi", "rules"):
            by_model.setdefault(dtmi, []).extend(rules)
        own = dict(TwinRules.objects.values_list("twin_id", "rules"))
        twins = {}
        for twin_id, tenant, model, status in Twin.objects.values_list("id", "tenant", "model", "status"):
            if status == "deprecated":
                continue
            raw = merge_rules(by_model.get(model, []), own.get(twin_id, []))
            rules, problems = parse_rules(raw)
            for path, message in problems:  # a bad override; the files' own errors are shown by the scan
                log.warning("twin %s: rule %s: %s", twin_id, path, message)
            twins[twin_id] = TwinRuleSet(twin_id, tenant, tuple(rules))
        self.twins, self.mark = twins, mark
        return True
