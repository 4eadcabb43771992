"""The rules and detectors each twin has: its model's rules files merged with the twin's own `rules:` (overrides
by id) and `anomaly:` (a twin's detector replaces the model's of the same signals)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import Max

from analytics.detectors import DetectorSpec
from registry.models import Twin

from .anomaly_config import merge_anomaly, parse_anomaly
from .models import ModelRules, TwinRules
from .rules import Rule, merge_rules, parse_rules

__all__ = ["TwinRuleSet", "Catalog"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TwinRuleSet:
    twin_id: str
    tenant: str
    rules: tuple[Rule, ...]
    detectors: tuple[DetectorSpec, ...] = ()


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
        model_detectors: dict[str, list] = {}
        for dtmi, rules, anomaly in ModelRules.objects.order_by("path").values_list("dtmi", "rules", "anomaly"):
            by_model.setdefault(dtmi, []).extend(rules)
            model_detectors.setdefault(dtmi, []).extend(anomaly)
        own = {t: (r, a) for t, r, a in TwinRules.objects.values_list("twin_id", "rules", "anomaly")}
        twins = {}
        for twin_id, tenant, model, status in Twin.objects.values_list("id", "tenant", "model", "status"):
            if status == "deprecated":
                continue
            own_rules, own_detectors = own.get(twin_id, ([], []))
            rules, problems = parse_rules(merge_rules(by_model.get(model, []), own_rules))
            detectors, more = parse_anomaly(merge_anomaly(model_detectors.get(model, []), own_detectors))
            for path, message in problems + more:  # a bad merge; the files' own errors are shown by the scan
                log.warning("twin %s: %s: %s", twin_id, path, message)
            twins[twin_id] = TwinRuleSet(twin_id, tenant, tuple(rules), tuple(detectors))
        self.twins, self.mark = twins, mark
        return True
