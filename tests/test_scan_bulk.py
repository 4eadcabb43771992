"""A cold scan of many twins writes every row once (the bulk COPY / executemany path), with one event per twin."""

from __future__ import annotations

import pytest

from registry.models import Dependency, PortalEvent, Stream, Twin, UpdateCmd

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cold_scan_of_many_twins_writes_each_row_once_and_one_ordered_event_per_twin(tree, scan_cmd):
    count = 120  # above the size where the scan's events go through COPY on PostgreSQL
    for i in range(count):
        tree.twin(f"m{i:03d}", f"m-{i:03d}", tenant="plant", extra=f"""
            interfaces:
              data_streams:
                - {{uri: "mqtt://dtp/plant/m-{i:03d}/temp", signal: temp, unit: C}}
                - {{uri: "mqtt://dtp/plant/m-{i:03d}/rpm", signal: rpm, unit: rpm}}
            dependencies:
              static: [{"m-000" if i else "m-001"}]
            """)
    before = PortalEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    assert scan_cmd(str(tree.root)).code == 0

    assert Twin.objects.filter(tenant="plant").count() == count
    assert Stream.objects.filter(twin__tenant="plant").count() == 2 * count
    assert Dependency.objects.filter(twin__tenant="plant").count() == count
    assert UpdateCmd.objects.filter(twin__in=[f"m-{i:03d}" for i in range(count)], kind="create").count() == count
    twin = Twin.objects.get(pk="m-007")
    assert twin.created_at is not None and twin.interfaces["data_streams"][1]["signal"] == "rpm"
    events = list(PortalEvent.objects.filter(id__gt=before, etype="twin.update").order_by("id"))
    assert sorted(e.twin_id for e in events) == [f"m-{i:03d}" for i in range(count)]
    payload = next(e.payload for e in events if e.twin_id == "m-007")
    assert payload["action"] == "created"
    assert [s["signal"] for s in payload["twin"]["streams"]] == ["temp", "rpm"]
