"""`manage.py deadletter list|replay|purge`: the records a store refused, for an operator to decide on."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dataplane.deadletter import DeadLetters, replay
from dataplane.writers import STORES, writer_for


class Command(BaseCommand):
    help = ("List, replay or purge the records a store refused for their content "
            "(kept in <DTP_SPOOL_DIR>/deadletter by the ingest).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "replay", "purge"])
        parser.add_argument("ids", nargs="*", help="purge: the ids `list` shows (store/name)")
        parser.add_argument("--store", choices=[s for s, _ in STORES], help="only this store's records")
        parser.add_argument("--all", action="store_true", help="purge: every listed record")
        parser.add_argument("--json", action="store_true", help="list: one JSON object per line")

    def handle(self, *args, **opts):
        letters = DeadLetters(settings.DTP_SPOOL_DIR / "deadletter")
        getattr(self, f"_{opts['action']}")(letters, opts)

    def _list(self, letters: DeadLetters, opts: dict) -> None:
        entries = letters.entries(opts["store"])
        for e in entries:
            if opts["json"]:
                self.stdout.write(json.dumps({"id": e.id, "store": e.store, "time": e.time, "reason": e.reason,
                                              "record": e.record}))
            else:
                self.stdout.write(f"{e.id}  {e.time}  {e.reason}\n    {json.dumps(e.record)[:300]}")
        if not opts["json"]:
            self.stdout.write(f"{len(entries)} dead-lettered record(s) in {letters.root}")

    def _replay(self, letters: DeadLetters, opts: dict) -> None:
        stores = [opts["store"]] if opts["store"] else [s for s, _ in STORES]
        writers = {s: w for s in stores if (w := writer_for(s)) is not None}
        try:
            result = replay(letters, writers, opts["store"])
        finally:
            for writer in writers.values():
                writer.close()
        self.stdout.write(f"replayed: {result.written} written, {result.refused} refused again (kept, with the "
                          f"new reason), {result.waiting} not tried")
        if result.detail:
            raise CommandError(result.detail)

    def _purge(self, letters: DeadLetters, opts: dict) -> None:
        entries = letters.entries(opts["store"])
        if opts["all"]:
            chosen = entries
        elif opts["ids"]:
            by_id = {e.id: e for e in entries}
            unknown = [i for i in opts["ids"] if i not in by_id]
            if unknown:
                raise CommandError(f"no dead-lettered record {', '.join(unknown)}; "
                                   "`manage.py deadletter list` shows the ids")
            chosen = [by_id[i] for i in opts["ids"]]
        else:
            raise CommandError("name the records to purge (ids from `deadletter list`) or pass --all")
        for entry in chosen:
            letters.remove(entry)
        self.stdout.write(f"purged {len(chosen)} dead-lettered record(s)")
