"""Keep the graph and the blob store in step with the registry, from its event log.

The PortalEvent log is read in id order from a stored cursor; each twin.update
or twin.delete becomes records for the graph (node and edges) and the blob store
(a spec snapshot), handed to the pipeline, whose spools make them durable before
the cursor moves. A cursor at 0 (a fresh deployment) starts with a full
snapshot of the registry instead of replaying history.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.db import connection, transaction

from registry.models import PortalEvent, Twin

from .models import ProjectionCursor
from .writers.blobs import snapshot_record

__all__ = ["twin_record", "full_snapshot", "records_for_events", "project_once", "CURSOR"]

CURSOR = "stores"
BATCH = 500


def _deps(dependencies: dict[str, Any]) -> list[dict[str, str]]:
    return [{"target": target, "kind": kind} for kind in ("static", "dynamic")
            for target in (dependencies or {}).get(kind, [])]


def twin_record(doc: dict[str, Any]) -> dict[str, Any]:
    return {"k": "twin", "id": doc["id"], "name": doc.get("name", ""), "tenant": doc.get("tenant", ""),
            "status": doc.get("status", ""), "deps": _deps(doc.get("dependencies", {}))}


def full_snapshot(*, blobs: bool = True) -> list[dict[str, Any]]:
    """Every registered twin (and, with `blobs`, its spec snapshot), then the ids that may stay in the graph."""
    from registry.documents import twin_payload

    records: list[dict[str, Any]] = []
    keep: set[str] = set()
    for twin in Twin.objects.select_related("ui").prefetch_related("streams").order_by("id"):
        doc = twin_payload(twin, getattr(twin, "ui", None), twin.streams.all())
        record = twin_record(doc)
        records.append(record)
        keep.add(twin.id)
        keep.update(d["target"] for d in record["deps"])
        if blobs:
            records.append(snapshot_record(twin.tenant, twin.id, doc, twin.updated_at.isoformat()))
    records.append({"k": "twin_all", "ids": sorted(keep)})
    return records


def records_for_events(events: list[PortalEvent]) -> list[dict[str, Any]]:
    """Graph and blob records for twin.update / twin.delete events; other events give none."""
    records: list[dict[str, Any]] = []
    for event in events:
        payload = event.payload
        if event.etype == "twin.update" and "twin" in payload:
            doc = payload["twin"]
            records.append(twin_record(doc))
            if payload.get("action") != "runtime":
                records.append(snapshot_record(doc.get("tenant", ""), doc["id"], doc, event.created_at.isoformat()))
        elif event.etype == "twin.delete":
            if payload.get("deleted"):
                records.append({"k": "twin_gone", "id": payload["id"]})
            else:  # deprecated: the node stays, with its new status
                records.append({"k": "twin_status", "id": payload["id"], "status": payload.get("status", "")})
    return records


def project_once(submit: Any) -> int:
    """Hand the next events (or the first snapshot) to `submit`; returns how many events were read.

    The cursor row is locked for the step (skipped when another ingest worker
    holds it), so with several workers each event is projected once.
    """
    ProjectionCursor.objects.get_or_create(name=CURSOR)
    # SQLite has one ingest and no row locks; an IMMEDIATE transaction there would hold the
    # database's write lock while the spools are written.
    guard = transaction.atomic() if connection.vendor == "postgresql" else nullcontext()
    with guard:
        cursor = (ProjectionCursor.objects.select_for_update(skip_locked=True).filter(name=CURSOR).first())
        if cursor is None:
            return 0  # another worker is projecting
        if cursor.last_event_id == 0:
            newest = PortalEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            submit(full_snapshot())
            cursor.last_event_id = max(newest, 1)
            cursor.save(update_fields=["last_event_id", "updated_at"])
            return 0
        events = list(PortalEvent.objects.filter(id__gt=cursor.last_event_id).order_by("id")[:BATCH])
        if not events:
            return 0
        submit(records_for_events(events))
        cursor.last_event_id = events[-1].id
        cursor.save(update_fields=["last_event_id", "updated_at"])
        return len(events)
