"""`manage.py scan_twins`: from twin.yaml files on disk to Twin, Stream, TwinUI, UpdateCmd and PortalEvent rows."""

from __future__ import annotations

import os

import jsonpatch
import pytest

from registry.models import PortalEvent, SpecFileError, Stream, Twin, TwinUI, UpdateCmd

pytestmark = pytest.mark.django_db

LIFT = """
metadata:
  domain: [lift]
  lift_id: L1
interfaces:
  data_streams:
    - mqtt://dtp/lift/lift-001/vibration
    - {uri: mqtt://dtp/lift/lift-001/load, unit: kg, interval: 5}
dependencies:
  static: [hvac-1]
ui:
  url: http://localhost:3001/
"""


def events(etype: str | None = None) -> list[PortalEvent]:
    qs = PortalEvent.objects.order_by("id")
    return list(qs.filter(etype=etype) if etype else qs)


def test_a_new_spec_creates_the_twin_its_streams_card_history_and_one_event(tree, scan_cmd):
    path = tree.twin("lift", "lift-001", name="Lift 1", extra=LIFT)
    tree.twin("hvac", "hvac-1")

    result = scan_cmd(str(tree.root))

    assert result.code == 0, result.err
    assert "2 created, 0 updated, 0 unchanged, 0 deprecated, 0 with errors" in result.out
    twin = Twin.objects.get(pk="lift-001")
    assert (twin.name, twin.tenant, twin.status, twin.source, twin.source_path) == (
        "Lift 1", "acme", "active", "file", str(path))
    assert twin.metadata == {"domain": ["lift"], "lift_id": "L1", "status": "active"}
    assert sorted(Stream.objects.filter(twin=twin).values_list("kind", "topic", "unit")) == [
        ("mqtt", "dtp/lift/lift-001/load", "kg"), ("mqtt", "dtp/lift/lift-001/vibration", "")]
    card = TwinUI.objects.get(twin=twin)
    assert (card.name, card.ui_url) == ("Lift 1", "http://localhost:3001/")
    assert UpdateCmd.objects.get(twin=twin).kind == "create"
    created = [e for e in events("twin.update") if e.payload["twin"]["id"] == "lift-001"]
    assert len(created) == 1
    assert created[0].tenant == "acme" and created[0].payload["action"] == "created"
    assert len(created[0].payload["twin"]["streams"]) == 2


def test_an_unchanged_tree_writes_nothing_and_emits_nothing(tree, scan_cmd):
    tree.twin("lift", "lift-001", extra=LIFT)
    scan_cmd(str(tree.root))
    before = (events(), list(UpdateCmd.objects.all()), Twin.objects.get().updated_at)

    result = scan_cmd(str(tree.root))

    assert "0 created, 0 updated, 1 unchanged" in result.out
    assert (events(), list(UpdateCmd.objects.all()), Twin.objects.get().updated_at) == before


def test_a_comment_only_edit_is_not_a_change(tree, scan_cmd):
    path = tree.twin("lift", "lift-001", extra=LIFT)
    scan_cmd(str(tree.root))
    path.write_text("# a comment\n" + path.read_text())
    n_events = len(events())

    result = scan_cmd(str(tree.root))

    assert "0 updated, 1 unchanged" in result.out
    assert len(events()) == n_events


def test_a_changed_spec_updates_the_twin_and_records_the_patch(tree, scan_cmd):
    path = tree.twin("lift", "lift-001", extra=LIFT)
    scan_cmd(str(tree.root))
    path.write_text(path.read_text().replace("unit: kg", "unit: t").replace("[lift]", "[lift, building]"))

    result = scan_cmd(str(tree.root))

    assert "1 updated" in result.out
    twin = Twin.objects.get(pk="lift-001")
    assert twin.revision == 2 and twin.metadata["domain"] == ["lift", "building"]
    assert Stream.objects.get(twin=twin, topic="dtp/lift/lift-001/load").unit == "t"
    cmd = UpdateCmd.objects.filter(twin=twin).first()  # newest first
    assert (cmd.kind, cmd.revision, cmd.source) == ("update", 2, f"file:{path}")
    assert {op["path"] for op in cmd.patch} == {"/metadata/domain/1", "/interfaces/data_streams/1/unit"}
    update = events("twin.update")[-1]
    assert update.payload["action"] == "updated" and update.payload["changed"] == ["interfaces", "metadata"]


def test_history_replays_to_every_earlier_version(tree, scan_cmd):
    path = tree.twin("lift", "lift-001", name="One", extra=LIFT)
    scan_cmd(str(tree.root))
    versions = []
    for name in ("Two", "Three"):
        path.write_text(path.read_text().replace(f"name: {'One' if name == 'Two' else 'Two'}", f"name: {name}"))
        scan_cmd(str(tree.root))
    state: dict = {}
    for cmd in UpdateCmd.objects.filter(twin_id="lift-001").order_by("id"):
        state = jsonpatch.apply_patch(state, cmd.patch)
        versions.append(state["name"])
    assert versions == ["One", "Two", "Three"]
    assert state["metadata"] == Twin.objects.get().metadata


def test_a_removed_file_deprecates_its_twin_once_and_prune_deletes_it(tree, scan_cmd):
    tree.twin("lift", "lift-001")
    tree.twin("hvac", "hvac-1")
    scan_cmd(str(tree.root))
    tree.remove("lift/twin.yaml")

    result = scan_cmd(str(tree.root))

    assert "0 created, 0 updated, 1 unchanged, 1 deprecated" in result.out
    twin = Twin.objects.get(pk="lift-001")
    assert twin.status == "deprecated" and twin.metadata["status"] == "deprecated"
    gone = events("twin.delete")
    assert len(gone) == 1 and gone[0].payload["deleted"] is False and gone[0].payload["id"] == "lift-001"

    assert "0 deprecated" in scan_cmd(str(tree.root)).out  # not deprecated twice
    assert len(events("twin.delete")) == 1

    result = scan_cmd(str(tree.root), "--prune")
    assert "1 deleted" in result.out
    assert not Twin.objects.filter(pk="lift-001").exists()
    assert not Stream.objects.filter(twin_id="lift-001").exists()
    assert events("twin.delete")[-1].payload["deleted"] is True
    assert UpdateCmd.objects.filter(twin_id="lift-001").first().kind == "delete"  # history outlives the twin


def test_a_file_that_comes_back_restores_its_twin(tree, scan_cmd):
    path = tree.twin("lift", "lift-001")
    text = path.read_text()
    scan_cmd(str(tree.root))
    path.unlink()
    scan_cmd(str(tree.root))
    path.write_text(text)  # the very same bytes

    scan_cmd(str(tree.root))

    assert Twin.objects.get(pk="lift-001").status == "active"
    assert events("twin.update")[-1].payload["action"] == "restored"


def test_a_broken_file_keeps_the_last_good_version_and_its_error_goes_when_fixed(tree, scan_cmd):
    path = tree.twin("lift", "lift-001", name="Good")
    scan_cmd(str(tree.root))
    good = path.read_text()
    path.write_text(good.replace("tenant: acme", "tenant: ACME"))

    result = scan_cmd(str(tree.root))

    assert result.code == 1
    assert f"{path}:3:9: tenant must be a lowercase slug" in result.err
    assert Twin.objects.get(pk="lift-001").name == "Good" and Twin.objects.get().status == "active"
    error = SpecFileError.objects.get()
    assert (error.path, error.line, error.column, error.twin_id) == (str(path), 3, 9, "lift-001")
    assert events("spec.error")[-1].payload["errors"][0]["line"] == 3

    assert scan_cmd(str(tree.root)).code == 1  # still reported on the next scan, without a new event
    assert len(events("spec.error")) == 1

    path.write_text(good.replace("name: Good", "name: Fixed"))
    result = scan_cmd(str(tree.root))
    assert result.code == 0 and not SpecFileError.objects.exists()
    assert Twin.objects.get().name == "Fixed"
    assert events("spec.error")[-1].payload["errors"] == []


def test_two_files_with_one_id_are_both_reported_and_the_first_registered_stays(tree, scan_cmd):
    first = tree.twin("a", "lift-001", name="First")
    scan_cmd(str(tree.root))
    second = tree.twin("b", "lift-001", name="Second")

    result = scan_cmd(str(tree.root))

    assert result.code == 1
    assert f"{second}:1:1: duplicate id 'lift-001': {first} already defines it and is kept" in result.err
    assert Twin.objects.get(pk="lift-001").name == "First"

    first.unlink()  # the winner goes away: the other file takes over
    result = scan_cmd(str(tree.root))
    assert result.code == 0
    twin = Twin.objects.get(pk="lift-001")
    assert (twin.name, twin.source_path, twin.status) == ("Second", str(second), "active")


def test_two_new_files_with_one_id_keep_the_first_by_path(tree, scan_cmd):
    tree.twin("b", "dup", name="B")
    tree.twin("a", "dup", name="A")
    result = scan_cmd(str(tree.root))
    assert result.code == 1 and Twin.objects.get(pk="dup").name == "A"
    assert SpecFileError.objects.get().path == str(tree.root / "b" / "twin.yaml")


def test_a_renamed_id_deprecates_the_old_twin_and_creates_the_new(tree, scan_cmd):
    path = tree.twin("lift", "lift-001")
    scan_cmd(str(tree.root))
    path.write_text(path.read_text().replace("id: lift-001", "id: lift-002"))

    result = scan_cmd(str(tree.root))

    assert "1 created" in result.out and "1 deprecated" in result.out
    assert Twin.objects.get(pk="lift-001").status == "deprecated"
    assert Twin.objects.get(pk="lift-002").status == "active"
    assert events("twin.delete")[-1].payload["reason"] == "file now defines another id"


def test_a_moved_file_keeps_its_twin_without_a_change(tree, scan_cmd):
    path = tree.twin("old", "lift-001")
    scan_cmd(str(tree.root))
    n_events = len(events())
    (tree.root / "new").mkdir()
    path.rename(tree.root / "new" / "twin.yaml")

    result = scan_cmd(str(tree.root))

    assert "0 created, 0 updated, 1 unchanged, 0 deprecated" in result.out
    assert Twin.objects.get().source_path == str(tree.root / "new" / "twin.yaml")
    assert len(events()) == n_events


def test_runtime_fields_survive_a_rescan(tree, scan_cmd):
    path = tree.twin("lift", "lift-001")
    scan_cmd(str(tree.root))
    Twin.objects.filter(pk="lift-001").update(runtime={"health": "ok", "last_seen": "2026-11-25T00:00:00Z"})
    path.write_text(path.read_text().replace("name: Lift-001", "name: Renamed"))

    scan_cmd(str(tree.root))

    twin = Twin.objects.get()
    assert twin.name == "Renamed" and twin.runtime == {"health": "ok", "last_seen": "2026-11-25T00:00:00Z"}


def test_a_file_cannot_take_an_id_registered_through_the_api(tree, scan_cmd):
    Twin.objects.create(id="api-twin", name="From API", tenant="acme", source=Twin.Source.API)
    path = tree.twin("x", "api-twin")
    result = scan_cmd(str(tree.root))
    assert result.code == 1
    assert f"{path}:1:1: the id 'api-twin' is already registered through the REST API" in result.err
    assert Twin.objects.get().name == "From API"


def test_hidden_folders_virtualenvs_and_node_modules_are_not_scanned(tree, scan_cmd):
    tree.twin("real", "real-1")
    tree.twin(".hidden", "hidden-1")
    tree.twin("web/node_modules/pkg", "npm-1")
    tree.twin("venv/lib", "venv-1")
    (tree.root / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    tree.twin("other", "yml-1", filename="twin.yml")

    scan_cmd(str(tree.root))

    assert sorted(Twin.objects.values_list("id", flat=True)) == ["real-1", "yml-1"]


def test_a_symlink_loop_is_walked_once(tree, scan_cmd):
    tree.twin("site/lift", "lift-001")
    os.symlink(tree.root / "site", tree.root / "site" / "lift" / "loop")
    os.symlink(tree.root, tree.root / "site" / "up")

    result = scan_cmd(str(tree.root))

    assert result.code == 0 and "Scanned 1 files" in result.out
    assert Twin.objects.count() == 1


def test_unknown_dependencies_are_accepted_with_a_warning(tree, scan_cmd):
    tree.twin("lift", "lift-001", extra="dependencies: {static: [nowhere-1]}\n")
    result = scan_cmd(str(tree.root))
    assert result.code == 0
    assert "lift-001 has a static dependency on 'nowhere-1', which is not registered" in result.out


def test_check_reports_what_would_change_and_writes_nothing(tree, scan_cmd):
    tree.twin("lift", "lift-001")
    tree.write("bad/twin.yaml", "id: bad\nname: Bad\n")

    result = scan_cmd(str(tree.root), "--check")

    assert result.code == 1
    assert "would create lift-001" in result.out
    assert f"{tree.root}/bad/twin.yaml:1:1: missing required key 'tenant'" in result.err
    assert not Twin.objects.exists() and not PortalEvent.objects.exists() and not SpecFileError.objects.exists()


def test_a_missing_root_is_an_error_not_a_mass_deprecation(tree, scan_cmd):
    tree.twin("lift", "lift-001")
    scan_cmd(str(tree.root))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="does not exist"):
        scan_cmd(str(tree.root / "missing"))
    assert Twin.objects.get().status == "active"


def test_twins_outside_the_scanned_roots_are_left_alone(tmp_path, scan_cmd):
    for name in ("one", "two"):
        (tmp_path / name / "t").mkdir(parents=True)
        (tmp_path / name / "t" / "twin.yaml").write_text(f"id: {name}\nname: {name}\ntenant: acme\n")
    scan_cmd(str(tmp_path / "one"))
    scan_cmd(str(tmp_path / "two"))
    assert sorted(Twin.objects.filter(status="active").values_list("id", flat=True)) == ["one", "two"]


def test_check_without_a_database_writes_nothing_anywhere(tmp_path):
    """Pointed at a SQLite file that does not exist (and no secret key), --check only reads."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    twins = tmp_path / "twins" / "x"
    twins.mkdir(parents=True)
    (twins / "twin.yaml").write_text("id: x-1\nname: X\ntenant: acme\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DATABASE_URL")}
    env.update({"DTP_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": f"sqlite:///{tmp_path}/nowhere/db.sqlite3",
                "DTP_MODELS_ROOTS": ""})
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    done = subprocess.run([sys.executable, "manage.py", "scan_twins", "--check", str(tmp_path / "twins")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "validating the files only" in done.stdout
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
