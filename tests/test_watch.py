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


class Watching:
    """`scan_twins --watch` as a process; its output lines are read in a thread so a test can await one."""

    def __init__(self, manage, root) -> None:
        import queue
        import threading

        self.proc = manage("scan_twins", "--watch", str(root))
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line.rstrip("\n")) for line in self.proc.stdout],
                         daemon=True).start()
        self.expect(lambda line: line.startswith("Watching"), within=120)  # Django's start and the first scan

    def expect(self, match, within: float = 30.0) -> list[str]:
        """The lines up to and including the first one `match` accepts."""
        import queue
        import time

        seen, deadline = [], time.monotonic() + within
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the watcher printed no such line; it printed {seen}") from None
            seen.append(line)
            if match(line):
                return seen

    def stop(self) -> None:
        self.proc.terminate()
        assert self.proc.wait(timeout=15) == 0


def _agrees_with_a_full_scan(scan_cmd, tree) -> None:
    """What the watcher left is what a cold full scan decides: a dry run would change nothing."""
    out = scan_cmd("--check", str(tree.root)).out
    assert " 0 created, 0 updated," in out and " 0 deprecated," in out, out


def test_an_edit_is_reconciled_by_a_pass_over_its_folder_only(tree, manage, scan_cmd):
    from registry.models import UpdateCmd

    lift = tree.twin("lift", "lift-001", name="Before")
    tree.twin("hvac", "hvac-1")
    tree.twin("site/pump", "pump-1")
    watcher = Watching(manage, tree.root)
    revisions = dict(Twin.objects.values_list("id", "revision"))
    commands = UpdateCmd.objects.count()

    lift.write_text(lift.read_text().replace("name: Before", "name: After"))
    lines = watcher.expect(lambda line: line.strip() == "updated lift-001")
    assert lines[0].startswith(f"Scanned 1 files under {tree.root / 'lift'}:"), lines
    assert " 1 updated," in lines[0]
    assert Twin.objects.get(pk="lift-001").name == "After"
    after = dict(Twin.objects.values_list("id", "revision"))
    assert after == {**revisions, "lift-001": revisions["lift-001"] + 1}
    assert list(UpdateCmd.objects.filter(id__gt=0).order_by("id").values_list("twin_id", flat=True))[commands:] == [
        "lift-001"]
    watcher.stop()
    _agrees_with_a_full_scan(scan_cmd, tree)


def test_a_deleted_or_moved_folder_deregisters_or_carries_its_twins_as_a_full_scan_would(tree, manage, scan_cmd):
    import shutil

    tree.twin("site", "site-1")
    tree.twin("site/pump", "pump-1")
    tree.twin("wing/lift", "lift-1")
    tree.twin("hvac", "hvac-1")
    outside = tree.root.parent / "elsewhere"
    watcher = Watching(manage, tree.root)

    shutil.rmtree(tree.root / "site")
    wait_until(lambda: set(Twin.objects.filter(status="deprecated").values_list("id", flat=True))
               == {"site-1", "pump-1"}, what="the removed folder's twins deprecated")

    (tree.root / "wing").rename(tree.root / "east")
    wait_until(lambda: Twin.objects.get(pk="lift-1").source_path == str(tree.root / "east/lift/twin.yaml"),
               what="the moved folder's twin at its new path")
    assert Twin.objects.get(pk="lift-1").status != "deprecated"

    (tree.root / "hvac").rename(outside)
    wait_until(lambda: Twin.objects.get(pk="hvac-1").status == "deprecated", what="the folder moved away")
    watcher.stop()
    _agrees_with_a_full_scan(scan_cmd, tree)


def test_a_duplicate_takes_over_its_id_when_the_winner_goes_and_a_dependency_resolves_later(tree, manage, scan_cmd):
    from registry.models import Dependency, SpecFileError

    tree.twin("a", "pump-1", name="First")
    tree.twin("b", "pump-1", name="Second")  # loses: a/twin.yaml defines the id
    watcher = Watching(manage, tree.root)
    assert SpecFileError.objects.filter(path=str(tree.root / "b/twin.yaml"), kind="conflict").exists()

    tree.remove("a/twin.yaml")
    wait_until(lambda: Twin.objects.filter(pk="pump-1", name="Second", status="active").exists(),
               what="the duplicate taking the id over")
    assert not SpecFileError.objects.exists()

    tree.twin("c", "lift-1", extra="dependencies:\n  static: [motor-1]\n")
    watcher.expect(lambda line: "lift-1 has a static dependency on 'motor-1', which is not registered" in line)
    tree.twin("d", "motor-1")
    wait_until(lambda: Twin.objects.filter(pk="motor-1").exists(), what="the dependency appearing")
    assert list(Dependency.objects.filter(twin_id="lift-1").values_list("target", flat=True)) == ["motor-1"]
    watcher.stop()
    _agrees_with_a_full_scan(scan_cmd, tree)


def test_events_lost_to_an_inotify_queue_overflow_are_caught_by_a_full_rescan(tree, manage, scan_cmd):
    import os
    import signal

    lift = tree.twin("lift", "lift-001", name="Before")
    tree.twin("hvac", "hvac-1")
    notes = tree.write("notes.txt", "x")
    watcher = Watching(manage, tree.root)
    limit = int(open("/proc/sys/fs/inotify/max_queued_events").read())
    os.kill(watcher.proc.pid, signal.SIGSTOP)  # the kernel queues its events meanwhile, up to the limit
    try:
        for n in range(limit // 2 + 1000):  # a modify and a close-write each: past the queue's limit
            notes.write_text(str(n))
        lift.write_text(lift.read_text().replace("name: Before", "name: After"))  # its events are dropped
    finally:
        os.kill(watcher.proc.pid, signal.SIGCONT)
    lines = watcher.expect(lambda line: line.strip() == "updated lift-001")
    assert any(line.startswith("Full rescan: watchdog: Inotify queue overflowed") for line in lines), lines
    assert any(line.startswith(f"Scanned 2 files under {tree.root}:") for line in lines), lines
    assert Twin.objects.get(pk="lift-001").name == "After"
    watcher.stop()
    _agrees_with_a_full_scan(scan_cmd, tree)


def test_a_model_file_change_takes_a_full_rescan_that_rechecks_the_typed_twins(tree, manage, scan_cmd):
    import json

    from registry.models import DtdlModel, SpecFileError

    models = tree.root.parent / "models"
    models.mkdir()
    tank = {"@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Tank;1", "@type": "Interface",
            "contents": [{"@type": "Telemetry", "name": "level", "schema": "double"}]}
    tree.twin("tank", "tank-1", extra="model: dtmi:test:Tank;1\n")  # its model is not there yet
    tree.twin("hvac", "hvac-1")
    watcher = Watching(manage, tree.root)
    assert SpecFileError.objects.filter(path=str(tree.root / "tank/twin.yaml")).exists()

    (models / "tank.json").write_text(json.dumps(tank), encoding="utf-8")
    lines = watcher.expect(lambda line: line.strip() == "created tank-1")
    assert any(line.startswith("Full rescan: model files changed (tank.json)") for line in lines), lines
    assert DtdlModel.objects.filter(pk="dtmi:test:Tank;1").exists()
    assert not SpecFileError.objects.exists()
    watcher.stop()
    _agrees_with_a_full_scan(scan_cmd, tree)
