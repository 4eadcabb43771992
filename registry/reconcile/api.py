"""Writes that arrive through the REST API: the same machinery as a file scan, other rules of ownership.

A twin registered through the API is owned by the API: its spec fields can be
replaced and it can be deleted. A twin defined by a twin.yaml is owned by its
file: the API may set its runtime fields (status, health, ...) and nothing
else, and says which file to edit instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from tenancy.services import UnknownTenant, require_tenant

from .. import events
from ..documents import service_payload, twin_state
from ..models import Service, Twin
from ..spec import FieldError, TwinSpec, validate_document
from ..values import require_storable
from .core import ScanReport, _apply_runtime, _create, _lock, _Plan, _retire, _update, merge_runtime

__all__ = ["AlreadyExists", "UnknownTenant", "FileOwned", "InvalidTwin", "StaleRevision", "register_twin", "patch_twin",
           "delete_twin", "register_service", "update_service"]

SPEC_FIELDS = ("name", "description", "metadata", "interfaces", "dependencies", "ui")


class AlreadyExists(Exception):
    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"a {kind} with id {ident!r} already exists")


class FileOwned(Exception):
    """The twin is defined by a twin.yaml: edit the file instead."""

    def __init__(self, twin: Twin, fields: list[str]) -> None:
        self.path = twin.source_path
        self.fields = fields
        super().__init__(f"twin {twin.id!r} is defined by {twin.source_path}; change "
                         f"{', '.join(fields)} in that file (the file is the source of truth)")


class InvalidTwin(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


class StaleRevision(Exception):
    def __init__(self, current: int) -> None:
        self.current = current
        super().__init__(f"the resource changed meanwhile (now at revision {current}); fetch it again")


def _twin_for_write(twin_id: str, expected_revision: int | None) -> Twin:
    twin = Twin.objects.select_related("ui").get(pk=twin_id)
    if expected_revision is not None and twin.revision != expected_revision:
        raise StaleRevision(twin.revision)
    return twin


def register_twin(spec: TwinSpec, *, actor: str) -> Twin:
    """Create a twin owned by the API; raises AlreadyExists if the id is taken by any twin.

    Raises tenancy.services.UnknownTenant for a tenant that does not exist: unlike a
    file, an API call never creates a tenant (a typo would make one).
    """
    with transaction.atomic():
        _lock()
        require_tenant(spec.tenant)
        if Twin.objects.filter(pk=spec.id).exists():
            raise AlreadyExists("twin", spec.id)
        plan = _Plan(ScanReport())
        twin = _create(plan, spec, source=actor, origin=Twin.Source.API)
        plan.flush()
    return twin


def patch_twin(
    twin_id: str,
    *,
    fields: Mapping[str, Any],
    runtime: Mapping[str, Any],
    actor: str,
    expected_revision: int | None = None,
) -> tuple[Twin, list[str]]:
    """Replace spec fields (API-owned twins) and merge runtime fields, as one change with one event.

    Raises values.Unstorable, before anything is written, for a runtime value no store can hold.
    """
    require_storable(dict(runtime), ("runtime",))
    with transaction.atomic():
        _lock()
        twin = _twin_for_write(twin_id, expected_revision)
        plan = _Plan(ScanReport())
        if fields:
            if twin.source == Twin.Source.FILE:
                raise FileOwned(twin, sorted(fields))
            document = {k: v for k, v in twin_state(twin, getattr(twin, "ui", None)).items() if k != "runtime"}
            document.update(fields)
            spec = validate_document(document)
            if isinstance(spec, list):
                raise InvalidTwin(spec)
            changed = _update(plan, twin, spec, source=actor, runtime=merge_runtime(twin.runtime, dict(runtime)))
        else:
            changed = _apply_runtime(plan, twin, dict(runtime), source=actor) and ["runtime"]
        plan.flush()
    return twin, changed


def delete_twin(twin_id: str, *, soft: bool, actor: str, expected_revision: int | None = None) -> Twin:
    """Deprecate (soft) or delete an API-owned twin; its history stays."""
    with transaction.atomic():
        _lock()
        twin = _twin_for_write(twin_id, expected_revision)
        if twin.source == Twin.Source.FILE:
            raise FileOwned(twin, ["metadata.status (or remove the file)"])
        plan = _Plan(ScanReport())
        _retire(plan, twin, "deleted through the API", prune=not soft, source=actor)
        plan.flush()
    return twin


def register_service(*, service_id: str, category: str, tenant: str, interfaces: dict[str, Any],
                     health: dict[str, Any], actor: str) -> Service:
    """Create a service; raises AlreadyExists for a taken id, values.Unstorable for a value no store can hold."""
    require_storable({"id": service_id, "category": category, "tenant": tenant, "interfaces": interfaces,
                      "health": health})
    with transaction.atomic():
        _lock()
        if tenant:
            require_tenant(tenant)
        if Service.objects.filter(pk=service_id).exists():
            raise AlreadyExists("service", service_id)
        service = Service.objects.create(id=service_id, category=category, tenant=tenant, interfaces=interfaces,
                                         health=health)
        events.append([events.EventDraft(tenant, events.SERVICE_UPDATE,
                                         {"action": "created", "changed": ["category", "interfaces", "health"],
                                          "actor": actor, "service": service_payload(service)})])
    return service


def update_service(service_id: str, changes: Mapping[str, Any], *, actor: str,
                   expected_revision: int | None = None) -> tuple[Service, list[str]]:
    """Apply changes to a service; a real change (a health change above all) emits service.update."""
    require_storable(dict(changes))
    with transaction.atomic():
        _lock()
        service = Service.objects.get(pk=service_id)
        if expected_revision is not None and service.revision != expected_revision:
            raise StaleRevision(service.revision)
        changed = sorted(k for k, v in changes.items() if getattr(service, k) != v)
        if not changed:
            return service, []
        for key in changed:
            setattr(service, key, changes[key])
        service.revision += 1
        service.save()
        events.append([events.EventDraft(service.tenant, events.SERVICE_UPDATE,
                                         {"action": "updated", "changed": changed, "actor": actor,
                                          "service": service_payload(service)})])
    return service, changed
