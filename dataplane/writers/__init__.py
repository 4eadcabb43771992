"""One module per store; `configured_writers()` builds those the settings name."""

from __future__ import annotations

from django.conf import settings
from django.db import connections

from .base import Health, Probe, StoreDown, StoreRefused, Writer

__all__ = ["Health", "Probe", "StoreDown", "StoreRefused", "Writer", "configured_writers", "writer_for", "STORES"]

# Every store, in display order, with the setting that turns it on.
STORES = (("timescale", "DATABASE_URL"), ("influx", "INFLUX_URL"), ("graph", "NEO4J_URL"),
          ("blobs", "MINIO_ENDPOINT"))


def writer_for(store: str, timeout: float = 5.0) -> Writer | None:
    """The writer of one store (see STORES) when its setting is there, else None."""
    if store == "timescale":
        from .sql import SqlWriter

        db = connections["default"]
        return SqlWriter(dict(db.settings_dict), db.vendor, timeout)
    if store == "influx" and settings.INFLUX_URL:
        from .influx import InfluxWriter

        return InfluxWriter(settings.INFLUX_URL, settings.INFLUX_ORG, settings.INFLUX_BUCKET, settings.INFLUX_TOKEN,
                            timeout)
    if store == "graph" and settings.NEO4J_URL:
        from .graph import GraphWriter

        return GraphWriter(settings.NEO4J_URL, settings.NEO4J_USER, settings.NEO4J_PASSWORD, timeout)
    if store == "blobs" and settings.MINIO_ENDPOINT:
        from .blobs import BlobWriter

        return BlobWriter(settings.MINIO_ENDPOINT, settings.MINIO_ACCESS_KEY, settings.MINIO_SECRET_KEY,
                          settings.MINIO_BUCKET, timeout)
    return None


def configured_writers(timeout: float = 5.0) -> list[Writer]:
    """The writers of the stores that are configured; the database is always there."""
    return [w for w in (writer_for(store, timeout) for store, _ in STORES) if w is not None]
