"""Reads of DTDL models: shared by every tenant, while the twins listed with them stay scoped by Access."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from tenancy.access import Access

from .models import DtdlModel, Twin

__all__ = ["models_all", "model_get", "models_extending", "twins_of_model", "twin_ids_by_model"]


def models_all() -> QuerySet[DtdlModel]:
    return DtdlModel.objects.order_by("dtmi")


def model_get(dtmi: str) -> DtdlModel:
    """One model; raises DtdlModel.DoesNotExist."""
    return DtdlModel.objects.get(pk=dtmi)


def models_extending(dtmi: str) -> list[str]:
    """`dtmi` and every registered model that extends it, directly or not (Azure's IS_OF_MODEL)."""
    found = {dtmi}
    for other, ancestors in DtdlModel.objects.values_list("dtmi", "ancestors"):
        if dtmi in ancestors:
            found.add(other)
    return sorted(found)


def twins_of_model(access: Access, dtmi: str, *, exact: bool = False) -> QuerySet[Twin]:
    """The visible twins of `dtmi` (or, unless `exact`, of a model extending it)."""
    dtmis = [dtmi] if exact else models_extending(dtmi)
    return Twin.objects.visible_to(access).filter(model__in=dtmis).order_by("tenant", "id")


def twin_ids_by_model(access: Access) -> dict[str, list[str]]:
    """Visible twin ids by the model they name (exactly), for lists of models."""
    found: dict[str, list[str]] = defaultdict(list)
    for twin_id, dtmi in Twin.objects.visible_to(access).exclude(model="").order_by("id").values_list(
            "id", "model"):
        found[dtmi].append(twin_id)
    return dict(found)
