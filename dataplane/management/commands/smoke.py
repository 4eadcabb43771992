"""`manage.py smoke`: write to and read back from each configured store; non-zero exit on a failure."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from dataplane.mqtt import parse_mqtt_url
from dataplane.smoke import smoke_broker, smoke_stores
from dataplane.writers import STORES, configured_writers


class Command(BaseCommand):
    help = "Smoke-check every configured store and the MQTT broker; prints a table, exits 1 if one fails."

    def handle(self, *args, **opts):
        writers = configured_writers()
        rows = smoke_stores(writers)
        if settings.MQTT_URL:
            rows.append(smoke_broker(parse_mqtt_url(settings.MQTT_URL)))
        table = Table(title="polyglot-dtp smoke check")
        for column in ("store", "endpoint", "write", "read back", "latency ms", "detail"):
            table.add_column(column)
        mark = {True: "ok", False: "FAILED", None: "n/a"}
        for row in rows:
            table.add_row(row.store, row.endpoint, mark[row.written], mark[row.read_back], f"{row.latency_ms:.0f}",
                          row.detail)
        configured = {w.name for w in writers}
        for name, setting in STORES:
            if name not in configured:
                table.add_row(name, "-", "not configured", "-", "-", f"set {setting} to check it")
        if not settings.MQTT_URL:
            table.add_row("mqtt", "-", "not configured", "-", "-", "set MQTT_URL to check it")
        Console(file=self.stdout, width=160).print(table)
        failed = [row.store for row in rows if not row.ok]
        if failed:
            self.stderr.write(f"smoke check failed for: {', '.join(failed)}")
            raise SystemExit(1)
