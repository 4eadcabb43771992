"""`manage.py prune_events`: drop PortalEvents older than DTP_EVENT_RETENTION_DAYS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from portal.models import StreamMark
from registry.models import PortalEvent


class Command(BaseCommand):
    help = ("Delete portal events older than the retention window. A client resuming from a deleted "
            "event's id gets a stream-reset and reloads its state.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=float, default=None,
                            help="retention in days (default DTP_EVENT_RETENTION_DAYS)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.DTP_EVENT_RETENTION_DAYS
        cutoff = timezone.now() - timedelta(days=days)
        with transaction.atomic():
            old = PortalEvent.objects.filter(created_at__lt=cutoff)
            through = old.aggregate(m=Max("id"))["m"]
            if through is None:
                self.stdout.write("Nothing to prune.")
                return
            deleted, _ = PortalEvent.objects.filter(id__lte=through).delete()
            mark, _ = StreamMark.objects.get_or_create(pk=1)
            mark.pruned_through = max(mark.pruned_through, through)
            mark.save()
        self.stdout.write(f"Pruned {deleted} events (ids up to {through}, older than {days:g} days).")
