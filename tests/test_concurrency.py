"""Two scans at once, in separate processes, queue on the reconcile lock and leave no duplicates."""

from __future__ import annotations

import pytest

from registry.models import PortalEvent, Stream, Twin, TwinUI, UpdateCmd

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_scans_at_once_leave_no_duplicate_rows_or_events(tree, manage):
    for i in range(40):
        tree.twin(f"site/t{i:02d}", f"twin-{i:02d}", extra=f"interfaces:\n  data_streams: [mqtt://dtp/t/{i}/v]\n")

    procs = [manage("scan_twins", str(tree.root)) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]

    assert [p.returncode for p in procs] == [0, 0], outputs
    created = sorted(out.split(" created")[0].rsplit(" ", 1)[-1] for out, _ in outputs)
    assert created == ["0", "40"], outputs  # one scan created everything, the other found it done
    assert Twin.objects.count() == 40 and TwinUI.objects.count() == 40 and Stream.objects.count() == 40
    assert UpdateCmd.objects.count() == 40
    assert PortalEvent.objects.filter(etype="twin.update").count() == 40
