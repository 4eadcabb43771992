"""Runtime fields: set by running systems through reconcile.update_runtime, kept apart from the spec."""

from __future__ import annotations

import pytest

from registry.models import PortalEvent, Twin, UpdateCmd
from registry.reconcile import update_runtime

pytestmark = pytest.mark.django_db


def test_a_runtime_change_is_recorded_once_and_a_repeat_is_a_no_op(tree, scan_cmd):
    tree.twin("lift", "lift-001", extra="metadata: {status: active}\n")
    scan_cmd(str(tree.root))

    twin, changed = update_runtime("lift-001", {"status": "maintenance", "health": "degraded"}, source="api:alice")

    assert changed == ["health", "status"]
    twin.refresh_from_db()
    assert (twin.status, twin.revision, twin.metadata["status"]) == ("maintenance", 2, "active")
    cmd = UpdateCmd.objects.filter(twin=twin).first()
    assert (cmd.kind, cmd.source) == ("runtime", "api:alice")
    assert {op["path"] for op in cmd.patch} == {"/runtime/status", "/runtime/health"}
    event = PortalEvent.objects.order_by("id").last()
    assert event.payload["twin"]["status"] == "maintenance" and event.payload["runtime_changed"] == ["health", "status"]

    n = PortalEvent.objects.count()
    assert update_runtime("lift-001", {"health": "degraded"}, source="api:alice")[1] == []
    assert PortalEvent.objects.count() == n

    update_runtime("lift-001", {"status": None}, source="service:ingest")
    assert Twin.objects.get().status == "active"


def test_a_deprecated_twin_stays_deprecated_whatever_its_runtime_says(tree, scan_cmd):
    tree.twin("lift", "lift-001")
    scan_cmd(str(tree.root))
    tree.remove("lift/twin.yaml")
    scan_cmd(str(tree.root))
    update_runtime("lift-001", {"status": "active"}, source="service:x")
    assert Twin.objects.get().status == "deprecated"


def test_an_unknown_twin_raises():
    with pytest.raises(Twin.DoesNotExist):
        update_runtime("nope", {"health": "ok"}, source="service:x")
