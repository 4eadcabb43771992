"""`manage.py scan_twins`: reconcile twin.yaml files into the registry."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from registry.model_check import check_files
from registry.model_files import ModelRootError, read_model_files
from registry.reconcile import ScanReport, scan_roots
from registry.reconcile.scan import model_roots_for
from registry.scanner import ScanRootError, scan
from registry.spec import SpecError

PROGRESS_FROM = 500  # files; smaller trees scan faster than a bar can draw


def _shown(path: str) -> str:
    cwd = os.getcwd()
    return os.path.relpath(path, cwd) if path.startswith(cwd + os.sep) else path


def files_with_errors(report: ScanReport) -> int:
    """Files, not messages: so that files = created + updated + unchanged + with errors."""
    return len({e.path for e in report.errors})


def format_error(error: SpecError) -> str:
    return f"{_shown(error.path)}:{error.line}:{error.column}: {error.message}"


class Command(BaseCommand):
    help = ("Scan the twin roots (DTP_TWINS_ROOTS) for twin.yaml files and reconcile them into the registry. "
            "Exits 1 when any file has errors (the good files are still applied).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("roots", nargs="*", help="folders to scan instead of DTP_TWINS_ROOTS")
        parser.add_argument("--check", action="store_true",
                            help="validate and show what would change, without writing; exit 1 on errors")
        parser.add_argument("--watch", action="store_true",
                            help="keep running and reconcile each change within a second of the edit")
        parser.add_argument("--prune", action="store_true",
                            help="delete twins whose file is gone instead of marking them deprecated")

    def handle(self, *args: Any, **options: Any) -> None:
        roots = [os.path.abspath(r) for r in (options["roots"] or settings.DTP_TWINS_ROOTS)]
        # DTDL models: DTP_MODELS_ROOTS, or for roots given here the models/ folders beside them.
        self.model_roots = model_roots_for(options["roots"] or None)
        if options["check"] and options["watch"]:
            raise CommandError("--check and --watch do not go together")
        try:
            if options["watch"]:
                self._watch(roots, options["prune"])
                return
            if options["check"] and not self._registry_ready():
                report = self._validate_only(roots)
            else:
                report = self._scan_once(roots, options["prune"], options["check"])
        except (ScanRootError, ModelRootError) as exc:
            raise CommandError(str(exc)) from exc
        if report.errors:
            sys.exit(1)

    def _registry_ready(self) -> bool:
        """Whether a registry is there to compare with, asked without creating a database that is not."""
        from registry.models import Twin

        exists = getattr(connection, "database_exists", None)
        if exists is not None and not exists():
            return False
        return Twin._meta.db_table in connection.introspection.table_names()

    def _validate_only(self, roots: list[str]) -> ScanReport:
        self.stdout.write("The registry database is not set up (run migrate); validating the files only.")
        found = scan(roots, max_bytes=settings.DTP_SPEC_MAX_BYTES)
        report = ScanReport(files=len(found.files), dry_run=True)
        report.errors = [e for f in found.files for e in f.parsed.errors]
        report.errors += check_files([f.parsed for f in found.files], read_model_files(self.model_roots))
        report.unchanged = sum(1 for f in found.files if f.parsed.ok)
        self._print(report, roots, None, validate_only=True)
        return report

    def _scan_once(self, roots: list[str], prune: bool, dry_run: bool) -> ScanReport:
        started = time.perf_counter()
        if self.stderr.isatty():
            with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), transient=True) as bar:
                task = bar.add_task("scanning", total=None)

                def progress(n: int, total: int) -> None:
                    if total >= PROGRESS_FROM:
                        bar.update(task, completed=n, total=total)

                report = scan_roots(roots, prune=prune, dry_run=dry_run, progress=progress,
                                    model_roots=self.model_roots)
        else:
            report = scan_roots(roots, prune=prune, dry_run=dry_run, model_roots=self.model_roots)
        self._print(report, roots, time.perf_counter() - started)
        return report

    def _print(self, report: ScanReport, roots: Sequence[str], seconds: float | None,
               validate_only: bool = False) -> None:
        where = ", ".join(_shown(r) for r in roots)
        if validate_only:
            self.stdout.write(f"Checked {report.files} files under {where}: {report.unchanged} valid, "
                              f"{files_with_errors(report)} with errors")
        else:
            verb = "Would apply" if report.dry_run else "Scanned"
            deleted = f", {len(report.deleted)} deleted" if report.deleted else ""
            took = f" in {seconds * 1000:.0f} ms" if seconds is not None else ""
            self.stdout.write(
                f"{verb} {report.files} files under {where}{took}: "
                f"{len(report.created)} created, {len(report.updated)} updated, {report.unchanged} unchanged, "
                f"{len(report.deprecated)} deprecated{deleted}, {files_with_errors(report)} with errors"
            )
            for word, ids in (("create", report.created), ("update", report.updated),
                              ("deprecate", report.deprecated), ("delete", report.deleted)):
                for twin_id in ids:
                    self.stdout.write(f"  would {word} {twin_id}" if report.dry_run else f"  {word}d {twin_id}")
        models = getattr(report, "models", None)
        if models is not None and models.changed:
            for word, dtmis in (("created", models.created), ("updated", models.updated),
                                ("removed", models.removed)):
                for dtmi in dtmis:
                    self.stdout.write(f"  model {dtmi} {word}" if not report.dry_run else f"  would mark {dtmi} {word}")
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {_shown(warning)}"))
        for error in report.errors:
            self.stderr.write(format_error(error))

    def _watch(self, roots: list[str], prune: bool) -> None:
        from registry.watch import Pass, watch

        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())

        def on_scan(report: ScanReport, step: Pass) -> None:
            # A pass over the folders the events named says which; a full one says why it was full.
            if report.changed or report.errors or report.events:
                if step.full and step.why != "start":
                    self.stdout.write(f"Full rescan: {step.why}")
                self._print(report, step.folders, None)
            self.stdout.flush()

        def ready() -> None:
            self.stdout.write(f"Watching {', '.join(_shown(r) for r in roots)} for twin.yaml changes (Ctrl-C stops)")
            self.stdout.flush()

        watch(roots, on_scan, stop, prune=prune, ready=ready, model_roots=self.model_roots,
              full_every=settings.DTP_WATCH_FULL_SCAN_SECONDS)
