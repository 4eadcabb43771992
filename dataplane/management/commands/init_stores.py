"""`manage.py init_stores`: create what each configured store needs. Idempotent."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import connection

from dataplane.schema import apply_tables
from dataplane.writers import configured_writers
from dataplane.writers.blobs import BlobWriter
from dataplane.writers.graph import GraphWriter
from dataplane.writers.influx import InfluxWriter


class Command(BaseCommand):
    help = "Create the data tables, check the Influx bucket, create the S3 bucket and the graph indexes."

    def handle(self, *args, **opts):
        failed = False
        files = apply_tables(connection)
        self.stdout.write(f"database ({connection.vendor}): applied {', '.join(files)}")
        for writer in configured_writers():
            try:
                if isinstance(writer, BlobWriter):
                    made = writer.ensure_bucket()
                    self.stdout.write(f"s3 {writer.endpoint}: bucket {'created' if made else 'exists'}")
                elif isinstance(writer, GraphWriter):
                    writer.ensure_indexes()
                    self.stdout.write(f"graph {writer.endpoint}: indexes ready")
                elif isinstance(writer, InfluxWriter):
                    health = writer.health()
                    if health.state != "ok":
                        raise RuntimeError(health.detail)
                    self.stdout.write(f"influx {writer.endpoint}: reachable (create the bucket in Influx's "
                                      f"setup; writes to a missing bucket are retried from the spool)")
            except Exception as exc:
                failed = True
                self.stderr.write(f"{writer.name} {writer.endpoint}: {exc}")
            finally:
                writer.close()
        if failed:
            raise SystemExit(1)
