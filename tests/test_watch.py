"""`scan_twins --watch` reconciles an edited twin.yaml while it runs."""

from __future__ import annotations

import pytest

from registry.models import PortalEvent, Twin
from tests.browser.server import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_watcher_applies_an_edit_a_new_file_and_a_removal(tree, manage):
    path = tree.twin("lift", "lift-001", name="Before")
    watcher = manage("scan_twins", "--watch", str(tree.root))
    # The first scan is done once it says it is watching.
    lines = iter(watcher.stdout.readline, "")
    assert any(line.startswith("Watching") for line in lines), watcher.stderr.read()
    assert Twin.objects.get(pk="lift-001").name == "Before"
    last = PortalEvent.objects.order_by("-id").values_list("id", flat=True).first()

    path.write_text(path.read_text().replace("name: Before", "name: After"))
    event = wait_until(lambda: PortalEvent.objects.filter(id__gt=last, etype="twin.update").first(), what="the edit")
    assert event.payload["twin"]["name"] == "After" and event.payload["changed"] == ["name", "ui"]

    tree.twin("hvac", "hvac-1")
    wait_until(lambda: Twin.objects.filter(pk="hvac-1").exists(), what="the new file")

    tree.remove("lift/twin.yaml")
    wait_until(lambda: Twin.objects.filter(pk="lift-001", status="deprecated").exists(), what="the removal")

    watcher.terminate()
    assert watcher.wait(timeout=15) == 0


def test_the_watcher_reports_a_fifo_and_keeps_going(tree, manage):
    import os

    from registry.models import SpecFileError

    watcher = manage("scan_twins", "--watch", str(tree.root))
    assert any(line.startswith("Watching") for line in iter(watcher.stdout.readline, "")), watcher.stderr.read()

    (tree.root / "pipe").mkdir()
    os.mkfifo(tree.root / "pipe" / "twin.yaml")
    error = wait_until(lambda: SpecFileError.objects.filter(path=str(tree.root / "pipe" / "twin.yaml")).first(),
                       what="the FIFO's error")
    assert "not a regular file" in error.message

    tree.twin("hvac", "hvac-1")  # the rescan after the FIFO did not hang
    wait_until(lambda: Twin.objects.filter(pk="hvac-1").exists(), what="the next file")
    watcher.terminate()
    assert watcher.wait(timeout=15) == 0
