"""The shape ARCHITECTURE.md promises: one module knows the stream library, and steps never reach back."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ["polyglot_dtp", "registry", "portal", "tenancy", "dataplane", "twins", "bench"]


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules_importing(prefix: str) -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            if any(name == prefix or name.startswith(prefix + ".") for name in imports_of(path)):
                found.add(path.relative_to(REPO).as_posix())
    return found


def test_only_the_adapter_imports_django_eventstream():
    assert modules_importing("django_eventstream") == {"portal/eventstream.py"}


def test_tenancy_and_the_registry_know_nothing_of_the_portal():
    assert {m for m in modules_importing("portal") if m.startswith(("tenancy/", "registry/"))} == set()


def test_the_event_outbox_knows_nothing_of_reconcile():
    """registry/events.py is the step after reconcile: it may not reach back to it."""
    names = imports_of(REPO / "registry" / "events.py")
    source = (REPO / "registry" / "events.py").read_text(encoding="utf-8")
    assert not any("reconcile" in n for n in names) and "from .reconcile" not in source
