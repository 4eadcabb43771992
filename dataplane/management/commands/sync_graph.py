"""`manage.py sync_graph`: rebuild the twin graph from the registry (a fresh or drifted graph)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dataplane.projection import full_snapshot
from dataplane.writers import StoreDown, writer_for


class Command(BaseCommand):
    help = "Write every twin and dependency edge to the graph and remove what the registry no longer has."

    def handle(self, *args, **opts):
        if not settings.NEO4J_URL:
            raise CommandError("NEO4J_URL is not set: there is no graph to sync")
        writer = writer_for("graph")
        records = full_snapshot(blobs=False)
        try:
            writer.ensure_indexes()
            writer.write(records)
        except StoreDown as exc:
            raise CommandError(f"graph {writer.endpoint} is down: {exc}") from None
        finally:
            writer.close()
        self.stdout.write(f"graph {writer.endpoint}: {len(records) - 1} twins in step")
