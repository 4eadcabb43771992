"""`python -m dtdl validate [--allow-undefined-extensions] [--json] FILE...`

Parses the files together as one model set. Exit 0 when valid, 1 when not (each
error printed as `file:line:column: message`), 2 for a usage error or an unreadable file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import DtdlError, parse


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m dtdl", description="Validate DTDL v2/v3 model files.")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="parse FILEs together as one model set")
    validate.add_argument("files", nargs="+", metavar="FILE", help="JSON files, each one Interface or an array")
    validate.add_argument("--allow-undefined-extensions", action="store_true",
                          help="accept co-types and properties of extensions this parser does not define")
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    try:
        args = _arguments(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    texts: list[bytes] = []
    for name in args.files:
        try:
            texts.append(Path(name).read_bytes())
        except OSError as exc:
            print(f"{name}: cannot read: {exc.strerror}", file=sys.stderr)
            return 2
    try:
        models = parse(texts, allow_undefined_extensions=args.allow_undefined_extensions)
    except DtdlError as exc:
        if args.json:
            errors = [dict(issue.as_dict(), file=args.files[issue.document]) for issue in exc.errors]
            print(json.dumps({"valid": False, "errors": errors}, indent=2))
        else:
            for issue in exc.errors:
                where = f"{issue.line}:{issue.column}" if issue.line is not None else issue.pointer or "1:1"
                print(f"{args.files[issue.document]}:{where}: {issue.message}")
        return 1
    if args.json:
        print(json.dumps({"valid": True, "interfaces": sorted(models.interfaces)}, indent=2))
    else:
        print(f"valid: {len(models.interfaces)} interface(s) in {len(texts)} file(s)")
    return 0
