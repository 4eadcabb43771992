"""A cold scan of a generated tree (python -m bench.gen) writes exactly the rows its files say, nothing dropped.

The expected rows are worked out here from each file read by PyYAML's pure-Python
SafeLoader, not by the scanner's own reader, so a faster path that loses a value, a
stream, a dependency, an operation of the history or an event fails here.
"""

from __future__ import annotations

import hashlib

import pytest
import yaml

from bench.gen import generate
from registry.models import Dependency, PortalEvent, Stream, Twin, TwinUI, UpdateCmd

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = 70  # above the size where a scan's events are written as reserved-id rows; every 7th file has a merge key


def _expected(path, text: str) -> dict:
    doc = yaml.load(text, Loader=yaml.SafeLoader)
    metadata = {"domain": [], "status": "active", **doc.get("metadata", {})}
    interfaces = {"data_streams": [], **doc.get("interfaces", {})}
    deps = doc.get("dependencies", {})
    document = {"id": doc["id"], "name": doc["name"], "tenant": doc["tenant"], "description": "",
                "metadata": metadata, "interfaces": interfaces,
                "dependencies": {"static": deps.get("static", []), "dynamic": deps.get("dynamic", [])},
                "ui": {"name": doc["name"], "url": "", "dtr_id": ""}}
    streams = []
    for entry in interfaces["data_streams"]:
        kind, _, topic = entry["uri"].partition("://")
        streams.append({"uri": entry["uri"], "kind": kind, "topic": topic, "signal": entry.get("signal", ""),
                        "unit": entry.get("unit", ""), "interval": entry.get("interval")})
    return {"document": document, "streams": streams, "path": str(path),
            "sha": hashlib.sha256(text.encode()).hexdigest()}


def test_a_cold_scan_of_a_generated_tree_stores_every_row_its_files_describe(tmp_path, scan_cmd):
    paths = generate(tmp_path / "twins", COUNT, tenants=3)
    expected = {e["document"]["id"]: e for e in (_expected(p, p.read_text()) for p in paths)}
    assert any("<<:" in p.read_text() for p in paths)
    before = PortalEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    assert scan_cmd(str(tmp_path / "twins")).code == 0

    assert sorted(Twin.objects.values_list("id", flat=True)) == sorted(expected)
    for twin in Twin.objects.all():
        e, doc = expected[twin.id], expected[twin.id]["document"]
        assert (twin.name, twin.tenant, twin.description, twin.model) == (doc["name"], doc["tenant"], "", "")
        assert (twin.metadata, twin.interfaces, twin.dependencies, twin.runtime) == (
            doc["metadata"], doc["interfaces"], doc["dependencies"], {})
        assert (twin.status, twin.domains) == ("active", "".join(f"|{d}" for d in doc["metadata"]["domain"]) + "|")
        assert (twin.source, twin.source_path, twin.content_hash, twin.revision) == ("file", e["path"], e["sha"], 1)
        assert twin.created_at is not None and twin.updated_at is not None
        card = TwinUI.objects.get(twin=twin)
        assert (card.name, card.ui_url, card.dtr_id) == (doc["name"], "", "")
        streams = Stream.objects.filter(twin=twin).order_by("id")
        assert [{"uri": s.uri, "kind": s.kind, "topic": s.topic, "signal": s.signal, "unit": s.unit,
                 "interval": s.interval} for s in streams] == e["streams"]
        assert sorted(Dependency.objects.filter(twin=twin).values_list("kind", "target")) == sorted(
            ("static", t) for t in doc["dependencies"]["static"])
        [cmd] = UpdateCmd.objects.filter(twin_id=twin.id)
        assert (cmd.kind, cmd.revision, cmd.source) == ("create", 1, f"file:{e['path']}")
        assert cmd.patch == [{"op": "add", "path": f"/{k}", "value": v} for k, v in {**doc, "runtime": {}}.items()]

    events = list(PortalEvent.objects.filter(id__gt=before).order_by("id"))
    assert [(ev.etype, ev.twin_id) for ev in events] == [("twin.update", e["document"]["id"])
                                                         for e in sorted(expected.values(), key=lambda e: e["path"])]
    for ev in events:
        twin = Twin.objects.get(pk=ev.twin_id)
        e, doc = expected[ev.twin_id], expected[ev.twin_id]["document"]
        assert ev.tenant == doc["tenant"]
        assert ev.payload == {"action": "created", "changed": sorted([*doc, "runtime"]), "twin": {
            **doc, "runtime": {}, "health": None, "status": "active", "model": "", "source": "file",
            "source_path": e["path"], "revision": 1, "streams": e["streams"],
            "created_at": twin.created_at.isoformat(), "updated_at": twin.updated_at.isoformat()}}


def test_a_scan_after_deleted_events_never_reuses_their_ids(tmp_path, scan_cmd, tree):
    """Stream readers resume by event id, so ids only grow, even past rows deleted since."""
    tree.twin("first", "first-twin")
    assert scan_cmd(str(tree.root)).code == 0
    newest = PortalEvent.objects.order_by("-id").first().id
    PortalEvent.objects.filter(id__gt=newest - 1).delete()  # the newest event is pruned away

    generate(tree.root / "more", COUNT, tenants=2)
    assert scan_cmd(str(tree.root)).code == 0
    ids = list(PortalEvent.objects.filter(etype="twin.update").order_by("id").values_list("id", flat=True))
    assert len(ids) == COUNT and ids[0] > newest and ids == list(range(ids[0], ids[0] + COUNT))

    tree.twin("first", "first-twin", name="Renamed")
    assert scan_cmd(str(tree.root)).code == 0
    assert PortalEvent.objects.order_by("-id").first().id > ids[-1]
