"""The JSON shapes of a twin, built in one place.

`twin_state` is what history diffs (RFC 6902 patches over it rebuild any
version); `twin_payload` is the twin as clients see it, in portal events and
the REST API, so both always agree (`twin_row_payload` builds the same from
plain values, for reads that make no model instances).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .models import Service, Stream, Twin, TwinUI
from .spec import StreamSpec

__all__ = ["effective_status", "twin_state", "twin_payload", "twin_row_payload", "stream_payload",
           "service_payload", "PAYLOAD_FIELDS"]


def effective_status(metadata: dict[str, Any], runtime: dict[str, Any]) -> str:
    """A deprecated twin stays deprecated; otherwise a running system's status wins over the declared one."""
    declared = metadata.get("status", "active")
    if declared == "deprecated":
        return declared
    return runtime.get("status") or declared


def _ui_state(ui: TwinUI | None, name: str) -> dict[str, str]:
    if ui is None:
        return {"name": name, "url": "", "dtr_id": ""}
    return {"name": ui.name, "url": ui.ui_url, "dtr_id": ui.dtr_id}


# The Twin columns the JSON shapes read; `twin_row_payload` takes them as a mapping (a `.values()` row).
PAYLOAD_FIELDS = ("id", "name", "tenant", "description", "model", "metadata", "interfaces", "dependencies",
                  "runtime", "status", "source", "source_path", "revision", "created_at", "updated_at")


def _fields(twin: Twin) -> dict[str, Any]:
    return {f: getattr(twin, f) for f in PAYLOAD_FIELDS}


def _state(t: Mapping[str, Any], ui: dict[str, str]) -> dict[str, Any]:
    return {
        "id": t["id"],
        "name": t["name"],
        "tenant": t["tenant"],
        "description": t["description"],
        "metadata": t["metadata"],
        "interfaces": t["interfaces"],
        "dependencies": t["dependencies"],
        "ui": ui,
        "runtime": t["runtime"],
        **({"model": t["model"]} if t["model"] else {}),
    }


def twin_state(twin: Twin, ui: TwinUI | None) -> dict[str, Any]:
    """Spec fields plus runtime: the document that UpdateCmd patches transform."""
    return _state(_fields(twin), _ui_state(ui, twin.name))


def stream_payload(stream: Stream | StreamSpec) -> dict[str, Any]:
    """A stream as clients see it; a stream just written is shown from its spec (the same six values)."""
    return {
        "uri": stream.uri,
        "kind": stream.kind,
        "topic": stream.topic,
        "signal": stream.signal,
        "unit": stream.unit,
        "interval": stream.interval,
    }


# Runtime keys with a place of their own in a twin's answer: `status` (the lifecycle, shown top-level as the
# effective status) and `health` (what a running system reports). The rest of `runtime` is free state.
LIFTED_RUNTIME_KEYS = ("status", "health")


def _payload(t: Mapping[str, Any], ui: dict[str, str], streams: list[dict[str, Any]]) -> dict[str, Any]:
    state = _state(t, ui)
    runtime = state.get("runtime") or {}
    state.update(
        {
            "runtime": {k: v for k, v in runtime.items() if k not in LIFTED_RUNTIME_KEYS},
            "health": runtime.get("health"),
            "status": t["status"],
            "model": t["model"],
            "source": t["source"],
            "source_path": t["source_path"],
            "revision": t["revision"],
            "streams": streams,
            "created_at": t["created_at"].isoformat() if t["created_at"] else None,
            "updated_at": t["updated_at"].isoformat() if t["updated_at"] else None,
        }
    )
    return state


def twin_payload(twin: Twin, ui: TwinUI | None, streams: Iterable[Stream | StreamSpec]) -> dict[str, Any]:
    """The twin as the API and the events show it: `status` the lifecycle, `health` apart, `runtime` the rest."""
    return _payload(_fields(twin), _ui_state(ui, twin.name), [stream_payload(s) for s in streams])


def twin_row_payload(row: Mapping[str, Any], ui: Mapping[str, str] | None,
                     streams: list[dict[str, Any]]) -> dict[str, Any]:
    """`twin_payload` for a twin read as plain values (registry.selectors' one-query reads), same JSON.

    `ui` is the card's columns (name, ui_url, dtr_id) or None; `streams` the stream payloads in order.
    """
    card = ({"name": row["name"], "url": "", "dtr_id": ""} if ui is None
            else {"name": ui["name"], "url": ui["ui_url"], "dtr_id": ui["dtr_id"]})
    return _payload(row, card, streams)


def service_payload(service: Service) -> dict[str, Any]:
    return {
        "id": service.id,
        "category": service.category,
        "tenant": service.tenant,
        "interfaces": service.interfaces,
        "health": service.health,
        "revision": service.revision,
        "created_at": service.created_at.isoformat() if service.created_at else None,
        "updated_at": service.updated_at.isoformat() if service.updated_at else None,
    }
