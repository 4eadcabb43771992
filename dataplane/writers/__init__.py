"""One module per store; `configured_writers()` builds those the settings name."""

from __future__ import annotations

from django.conf import settings
from django.db import connections

from .base import Health, Probe, StoreDown, Writer

__all__ = ["Health", "Probe", "StoreDown", "Writer", "configured_writers", "STORES"]

# Every store, in display order, with the setting that turns it on.
STORES = (("timescale", "DATABASE_URL"), ("influx", "INFLUX_URL"), ("graph", "NEO4J_URL"),
          ("blobs", "MINIO_ENDPOINT"))


def configured_writers(timeout: float = 5.0) -> list[Writer]:
    """The writers of the stores that are configured; the database is always there."""
    from .sql import SqlWriter

    db = connections["default"]
    writers: list[Writer] = [SqlWriter(dict(db.settings_dict), db.vendor, timeout)]
    if settings.INFLUX_URL:
        from .influx import InfluxWriter

        writers.append(InfluxWriter(settings.INFLUX_URL, settings.INFLUX_ORG, settings.INFLUX_BUCKET,
                                    settings.INFLUX_TOKEN, timeout))
    if settings.NEO4J_URL:
        from .graph import GraphWriter

        writers.append(GraphWriter(settings.NEO4J_URL, settings.NEO4J_USER, settings.NEO4J_PASSWORD, timeout))
    if settings.MINIO_ENDPOINT:
        from .blobs import BlobWriter

        writers.append(BlobWriter(settings.MINIO_ENDPOINT, settings.MINIO_ACCESS_KEY, settings.MINIO_SECRET_KEY,
                                  settings.MINIO_BUCKET, timeout))
    return writers
