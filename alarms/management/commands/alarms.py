"""`manage.py alarms`: the rule evaluator on its own (ingest workers run one as a thread unless
DTP_ALARM_EVALUATOR=false). `--once` runs a single pass and reports it."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from alarms.evaluator import Evaluator


class Command(BaseCommand):
    help = "Evaluate alarm rules over the observation journal, firing timers without new data."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *args, **opts):
        evaluator = Evaluator()
        if opts["once"]:
            rows = evaluator.run_once()
            self.stdout.write(f"alarms: {rows} journal rows, {len(evaluator.ownership.owned)} slots, "
                              f"{evaluator.counts['raised']} raised, {evaluator.counts['cleared']} cleared")
            evaluator.ownership.close()
            return
        done = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: (done.set(), evaluator.stop()))
        worker = threading.Thread(target=evaluator.run, name="alarms-evaluator", daemon=True)
        worker.start()
        self.stdout.write("alarms: evaluating")
        self.stdout.flush()
        done.wait()
        worker.join(timeout=30)
