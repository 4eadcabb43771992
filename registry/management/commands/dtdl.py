"""`manage.py dtdl export|import`: exchange models and twins with Azure Digital Twins (Import Jobs NDJSON)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.interop.adt import ImportFile, ImportFormatError, export_records, read_import_file
from registry.interop.export import export_twins
from registry.interop.scaffold import write_import
from registry.reconcile.models import stored_model_infos


class Command(BaseCommand):
    help = ("Export the registry as an Azure Digital Twins Import Jobs file, or import such a file (or plain DTDL "
            "model files) as model files and twin.yaml files for review.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        out = sub.add_parser("export", help="write an Import Jobs file (NDJSON)")
        out.add_argument("--tenant", action="append", default=[], metavar="T",
                         help="only this tenant's twins (repeatable); models are shared and all exported")
        out.add_argument("--out", metavar="FILE", help="file to write (default: standard output)")
        into = sub.add_parser("import", help="write models and scaffolded twin.yaml files from FILEs")
        into.add_argument("files", nargs="+", metavar="FILE", help="an Import Jobs file, or DTDL model files")
        into.add_argument("--models-root", metavar="DIR", help="where model files go (default: the first "
                                                               "DTP_MODELS_ROOTS folder)")
        into.add_argument("--twins-root", metavar="DIR", help="where twin folders go (default: the first "
                                                              "DTP_TWINS_ROOTS folder)")
        into.add_argument("--tenant", default="imported",
                          help="tenant for twins that carry none (default: imported)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options["tenant"], options["out"])
        else:
            self._import(options)

    def _export(self, tenants: list[str], out: str | None) -> None:
        warnings: list[str] = []
        records = export_records(export_twins(tenants or None), stored_model_infos(), warnings=warnings)
        lines = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
        if out:
            Path(out).write_text(lines, encoding="utf-8")
        else:
            self.stdout.write(lines, ending="")
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")

    def _import(self, options: dict[str, Any]) -> None:
        models_root = Path(options["models_root"] or settings.DTP_MODELS_ROOTS[0])
        twins_root = Path(options["twins_root"] or settings.DTP_TWINS_ROOTS[0])
        # Models already defined there are skipped: with --models-root that folder, else every configured root.
        known = [str(models_root)] if options["models_root"] else list(settings.DTP_MODELS_ROOTS)
        failed = False
        for name in options["files"]:
            imported = self._read(name)
            report = write_import(imported, source=os.path.basename(name), models_root=models_root,
                                  twins_root=twins_root, tenant=options["tenant"],
                                  known_model_roots=known)
            for path in report.written:
                self.stdout.write(f"wrote {path}")
            for line in report.skipped:
                self.stdout.write(f"skipped {line}")
            for line in report.errors:
                self.stderr.write(line)
            failed |= bool(report.errors)
            self.stdout.write(f"{name}: {len(report.written)} written, {len(report.skipped)} skipped, "
                              f"{len(report.errors)} errors")
        if failed:
            sys.exit(1)

    def _read(self, name: str) -> ImportFile:
        try:
            text = Path(name).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{name}: cannot read it: {exc}") from None
        first = next((line for line in text.splitlines() if line.strip()), "")
        try:
            if first.replace(" ", "") == '{"Section":"Header"}':
                return read_import_file(text, name)
            value = json.loads(text)
        except ImportFormatError as exc:
            raise CommandError(str(exc)) from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{name}:{exc.lineno}:{exc.colno}: neither an Import Jobs file nor DTDL JSON: "
                               f"{exc.msg}") from None
        models = value if isinstance(value, list) else [value]
        return ImportFile(models=[m for m in models if isinstance(m, dict)])
