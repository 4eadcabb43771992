"""Reads the portal and the API share: every query starts from what an Access may see.

tenancy.access decides what a reader may see; the querysets' `visible_to(access)`
(registry.models) applies it, and every read here starts from one of them, so
the API, the portal and the stream cannot scope differently.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import jsonpatch
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from tenancy.access import Access

from .documents import PAYLOAD_FIELDS, twin_row_payload
from .models import Dependency, PortalEvent, Service, SpecFileError, Stream, Twin, UpdateCmd
from .rowjson import PreparedValues, json_rows

__all__ = ["twins_for", "twin_for", "dependents_of", "twin_rows", "twin_documents", "twin_document",
           "history_of", "twin_at", "events_for", "spec_errors_for", "services_for", "EVENT_SOURCES"]


def twins_for(access: Access) -> QuerySet[Twin]:
    """The twins `access` may see, with what their JSON needs (card, streams) fetched alongside."""
    return (
        Twin.objects.visible_to(access)
        .select_related("ui")
        .prefetch_related(Prefetch("streams", queryset=Stream.objects.order_by("id")))
    )


def twin_for(access: Access, twin_id: str) -> Twin:
    """One visible twin; raises Twin.DoesNotExist for an unknown id and for one of another tenant alike."""
    return twins_for(access).get(pk=twin_id)


def dependents_of(access: Access, twin_id: str) -> list[dict[str, str]]:
    rows = Dependency.objects.filter(target=twin_id, twin__in=Twin.objects.visible_to(access))
    return [{"id": r.twin_id, "kind": r.kind} for r in rows.order_by("twin_id", "kind")]


# The stream columns a twin's JSON shows, in its order (documents.stream_payload).
STREAM_FIELDS = ("uri", "kind", "topic", "signal", "unit", "interval")


def twin_rows(access: Access) -> QuerySet[Twin]:
    """The twins `access` may see as plain values, card and streams in the same query (no model instances).

    Each row holds the Twin columns of documents.PAYLOAD_FIELDS, the card's columns (`card_*`, None
    without a card) and `streams_json`; filters, ordering and cursor pages apply to it as to
    `twins_for`. `twin_documents` turns rows into the API's JSON.
    """
    return Twin.objects.visible_to(access).values(
        *PAYLOAD_FIELDS, card_name=F("ui__name"), card_ui_url=F("ui__ui_url"), card_dtr_id=F("ui__dtr_id"),
        streams_json=json_rows(Stream.objects.filter(twin_id=OuterRef("pk")), "twin_id", ("id", *STREAM_FIELDS),
                               floats=("interval",)))


def _document(row: dict[str, Any]) -> dict[str, Any]:
    card = None if row["card_name"] is None else {
        "name": row["card_name"], "ui_url": row["card_ui_url"], "dtr_id": row["card_dtr_id"]}
    streams = [{f: s[f] for f in STREAM_FIELDS} for s in sorted(row["streams_json"] or (), key=lambda s: s["id"])]
    return twin_row_payload(row, card, streams)


def twin_documents(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of `twin_rows` as the API shows twins: the same JSON as documents.twin_payload of the models."""
    return [_document(row) for row in rows]


def _detail_query(access: Access, twin_id: str) -> QuerySet[Twin]:
    # EXISTS per dependency row (a primary-key probe), not `twin__in=`: an IN list of every visible
    # twin is built first on SQLite, milliseconds at 10,000 twins.
    visible = Twin.objects.visible_to(access).filter(pk=OuterRef("twin_id"))
    dependents = Dependency.objects.filter(Exists(visible), target=OuterRef("pk"))
    return (twin_rows(access).filter(pk=twin_id).order_by()
            .annotate(dependents_json=json_rows(dependents, "target", ("twin_id", "kind"))))


# The detail query compiled per database and reader scope (what `visible_to` filters on): readers
# with the same grants share one. Bounded: emptied when it holds this many.
_PREPARED: dict[tuple, PreparedValues] = {}
_PREPARED_MAX = 1000


def _prepared_detail(access: Access) -> PreparedValues:
    key = (Twin.objects.db, access.everything, access.ceiling, frozenset(access.tenants.items()),
           frozenset(access.twins.items()))
    prepared = _PREPARED.get(key)
    if prepared is None:
        if len(_PREPARED) >= _PREPARED_MAX:
            _PREPARED.clear()
        prepared = _PREPARED[key] = PreparedValues(_detail_query(access, PreparedValues.SLOT))
    return prepared


def twin_document(access: Access, twin_id: str) -> dict[str, Any]:
    """One visible twin as the API shows it, with its visible dependents, in one query.

    Raises Twin.DoesNotExist for an unknown id and for one of another tenant alike (as `twin_for`).
    """
    rows = _prepared_detail(access).rows(twin_id)
    if not rows:
        raise Twin.DoesNotExist(f"No visible twin {twin_id!r}.")
    row = rows[0]
    document = _document(row)
    found = sorted((d["twin_id"], d["kind"]) for d in row["dependents_json"])
    document["dependents"] = [{"id": twin, "kind": kind} for twin, kind in found]
    return document


def history_of(twin: Twin) -> QuerySet[UpdateCmd]:
    return UpdateCmd.objects.filter(twin_id=twin.id).order_by("-id")


def twin_at(twin: Twin, when: datetime) -> tuple[dict[str, Any], int] | None:
    """The twin's state as it was at `when`, rebuilt from its patches; None if it did not exist then."""
    state: dict[str, Any] = {}
    revision = 0
    for cmd in UpdateCmd.objects.filter(twin_id=twin.id, ts__lte=when).order_by("id"):
        state = jsonpatch.apply_patch(state, cmd.patch)
        revision = cmd.revision
    return (state, revision) if state else None


# Where a stored event's change came from: the twin files (and their spec errors), the REST API,
# or a running system reporting runtime (the ingest's liveness, a PATCHed status).
EVENT_SOURCES = {
    "file": Q(etype="spec.error") | (Q(payload__twin__source="file") & ~Q(payload__action="runtime")),
    "api": Q(payload__twin__source="api") & ~Q(payload__action="runtime"),
    "runtime": Q(payload__action="runtime"),
}


def events_for(access: Access, *, since: int = 0, tenants: list[str] | None = None, twin: str = "",
               etype: str = "", source: str = "", heartbeats: bool = True) -> QuerySet[PortalEvent]:
    """Events of whole granted tenants, and those of single granted twins, oldest first.

    The optional filters are what the event log offers; `heartbeats=False` leaves out
    `last_seen`-only updates (an event without `runtime_changed` is never one).
    """
    qs = PortalEvent.objects.visible_to(access).filter(id__gt=since)
    if tenants:
        qs = qs.filter(tenant__in=tenants)
    if twin:
        qs = qs.filter(twin_id=twin)
    if etype:
        qs = qs.filter(etype=etype)
    if source in EVENT_SOURCES:
        qs = qs.filter(EVENT_SOURCES[source])
    if not heartbeats:
        # Spelled positively: a negated JSON key lookup drops rows that lack the key on some databases.
        qs = qs.filter(~Q(etype="twin.update") | Q(payload__runtime_changed__isnull=True)
                       | ~Q(payload__runtime_changed=["last_seen"]))
    return qs.order_by("id")


def spec_errors_for(access: Access) -> QuerySet[SpecFileError]:
    return SpecFileError.objects.visible_to(access).order_by("path", "line", "column")


def services_for(access: Access) -> QuerySet[Service]:
    """Platform services (no tenant) are shown to every signed-in user with a grant; the rest by tenant."""
    if access.everything:
        return Service.objects.all()
    platform = Q(tenant="") if (access.tenants or access.twins) else Q(pk__in=[])
    return Service.objects.filter(platform | access.tenant_filter())
