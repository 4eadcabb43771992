"""Bookkeeping of the data plane. The data itself (observation, event_log) lives in
plain tables defined by data-storage/sql, written by the store writers."""

from __future__ import annotations

from django.db import models


class ProjectionCursor(models.Model):
    """How far a projection (the graph, the blob snapshots) has read the PortalEvent log."""

    name = models.CharField(max_length=32, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)


class IngestStatus(models.Model):
    """What one ingest worker last reported: counters, per-store health and spool depth.

    The web process reads it for the header badges and /api/portal/health, so an
    operator sees a store's backlog without asking the ingest directly.
    """

    worker = models.CharField(max_length=128, primary_key=True)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    report = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "ingest statuses"
