"""`manage.py prune_data`: drop raw observations and rollup buckets past their retention.

Run by cron or the Kubernetes CronJob `dtp-prune` (k8s/prune.yaml). Raw rows and rollups have
their own ages (DTP_RAW_RETENTION_DAYS, DTP_ROLLUP_RETENTION_DAYS), so long charts keep their
minute and hour buckets after the raw rows are gone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from dataplane.rollups import prune


class Command(BaseCommand):
    help = "Delete raw observations and rollup buckets older than their retention (days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--raw-days", type=int, default=None,
                            help="days raw observations are kept (default DTP_RAW_RETENTION_DAYS)")
        parser.add_argument("--rollup-days", type=int, default=None,
                            help="days rollup buckets are kept (default DTP_ROLLUP_RETENTION_DAYS)")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options["raw_days"] if options["raw_days"] is not None else settings.DTP_RAW_RETENTION_DAYS
        rollup = options["rollup_days"] if options["rollup_days"] is not None else settings.DTP_ROLLUP_RETENTION_DAYS
        for name, days in (("--raw-days (DTP_RAW_RETENTION_DAYS)", raw),
                           ("--rollup-days (DTP_ROLLUP_RETENTION_DAYS)", rollup)):
            if days < 1:
                raise CommandError(f"{name} must be at least 1 day; got {days}")
        with transaction.atomic():
            done = prune(timezone.now(), raw, rollup)
        self.stdout.write(f"Pruned {done.observations} observations older than {raw} days and "
                          f"{done.rollups} rollup buckets older than {rollup} days.")
