"""The JSON shapes of a twin, built in one place.

`twin_state` is what history diffs (RFC 6902 patches over it rebuild any
version); `twin_payload` is the twin as clients see it, in portal events now
and in the REST API later, so both always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import Service, Stream, Twin, TwinUI
from .spec import StreamSpec

__all__ = ["effective_status", "twin_state", "twin_payload", "stream_payload", "service_payload"]


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


def twin_state(twin: Twin, ui: TwinUI | None) -> dict[str, Any]:
    """Spec fields plus runtime: the document that UpdateCmd patches transform."""
    return {
        "id": twin.id,
        "name": twin.name,
        "tenant": twin.tenant,
        "description": twin.description,
        "metadata": twin.metadata,
        "interfaces": twin.interfaces,
        "dependencies": twin.dependencies,
        "ui": _ui_state(ui, twin.name),
        "runtime": twin.runtime,
        **({"model": twin.model} if twin.model else {}),
    }


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


def twin_payload(twin: Twin, ui: TwinUI | None, streams: Iterable[Stream | StreamSpec]) -> dict[str, Any]:
    """The twin as the API and the events show it: `status` the lifecycle, `health` apart, `runtime` the rest."""
    state = twin_state(twin, ui)
    runtime = state.get("runtime") or {}
    state.update(
        {
            "runtime": {k: v for k, v in runtime.items() if k not in LIFTED_RUNTIME_KEYS},
            "health": runtime.get("health"),
            "status": twin.status,
            "model": twin.model,
            "source": twin.source,
            "source_path": twin.source_path,
            "revision": twin.revision,
            "streams": [stream_payload(s) for s in streams],
            "created_at": twin.created_at.isoformat() if twin.created_at else None,
            "updated_at": twin.updated_at.isoformat() if twin.updated_at else None,
        }
    )
    return state


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
