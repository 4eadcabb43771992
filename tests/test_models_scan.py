"""DTDL models under models/ are reconciled with the twins by `manage.py scan_twins`, and typed twins obey them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from registry.models import DtdlModel, PortalEvent, SpecFileError, Twin

pytestmark = pytest.mark.django_db

CTX = ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:quantitativeTypes;1"]
BASE = {"@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Machine;1", "@type": "Interface",
        "contents": [{"@type": "Property", "name": "serial", "schema": "string"}]}


def pump(version: int = 1, *, extra: list | None = None) -> dict:
    return {"@context": CTX, "@id": f"dtmi:test:Pump;{version}", "@type": "Interface", "extends": "dtmi:test:Machine;1",
            "displayName": "Pump",
            "contents": [
                {"@type": ["Telemetry", "Temperature"], "name": "bearing_temp", "schema": "double",
                 "unit": "degreeCelsius", "description": "Bearing temperature."},
                {"@type": "Telemetry", "name": "vibration_rms", "schema": "double"},
                {"@type": "Relationship", "name": "feeds", "target": "dtmi:test:Tank;1"},
                *(extra or []),
            ]}


TANK = {"@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Tank;1", "@type": "Interface",
        "contents": [{"@type": "Telemetry", "name": "level", "schema": "double"}]}


@pytest.fixture
def models(tree) -> Path:
    root = tree.root.parent / "models"
    root.mkdir()
    return root


def write(root: Path, name: str, value) -> Path:
    path = root / name
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
    return path


def model_events() -> list[dict]:
    return [e.payload for e in PortalEvent.objects.filter(etype="model.update").order_by("id")]


def errors_of(path: Path) -> list[tuple[int, int, str]]:
    return list(SpecFileError.objects.filter(path=str(path)).values_list("line", "column", "message"))


def test_models_across_files_are_created_with_their_inherited_contents_and_events(tree, models, scan_cmd):
    write(models, "machine.json", BASE)
    write(models, "pump.json", [pump(), TANK])

    result = scan_cmd(str(tree.root))

    assert result.code == 0, result.err
    assert set(DtdlModel.objects.values_list("dtmi", flat=True)) == {
        "dtmi:test:Machine;1", "dtmi:test:Pump;1", "dtmi:test:Tank;1"}
    row = DtdlModel.objects.get(pk="dtmi:test:Pump;1")
    assert row.source_path == str(models / "pump.json") and row.status == "active"
    assert row.document == pump()
    assert row.ancestors == ["dtmi:test:Pump;1", "dtmi:test:Machine;1"]
    by_name = {c["name"]: c for c in row.contents}
    assert by_name["serial"]["defined_in"] == "dtmi:test:Machine;1"
    assert (by_name["bearing_temp"]["unit"], by_name["bearing_temp"]["schema"]) == ("degreeCelsius", "double")
    assert by_name["feeds"]["target"] == "dtmi:test:Tank;1"
    assert sorted((e["action"], e["dtmi"]) for e in model_events()) == [
        ("created", "dtmi:test:Machine;1"), ("created", "dtmi:test:Pump;1"), ("created", "dtmi:test:Tank;1")]
    assert "model dtmi:test:Pump;1 created" in result.out

    again = scan_cmd(str(tree.root))
    assert again.code == 0 and len(model_events()) == 3  # an unchanged tree says nothing


def test_a_broken_model_keeps_its_last_good_version_and_shows_where_it_broke(tree, models, scan_cmd):
    write(models, "machine.json", BASE)
    path = write(models, "pump.json", pump())
    scan_cmd(str(tree.root))
    path.write_text('{\n  "@context": "dtmi:dtdl:context;3",\n  "@id": "dtmi:test:Pump;1"\n  "@type": "x"\n}\n')

    result = scan_cmd(str(tree.root))

    assert result.code == 1
    assert errors_of(path)[0][:2] == (4, 3)
    assert "pump.json:4:3: JSON syntax error" in result.err
    row = DtdlModel.objects.get(pk="dtmi:test:Pump;1")
    assert row.status == "invalid" and row.document == pump()
    assert PortalEvent.objects.filter(etype="spec.error", payload__path=str(path)).exists()

    path.write_text(json.dumps(pump()))  # fixed, as it was
    fixed = scan_cmd(str(tree.root))
    assert fixed.code == 0, fixed.err
    assert errors_of(path) == [] and DtdlModel.objects.get(pk="dtmi:test:Pump;1").status == "active"


def test_an_invalid_interface_is_reported_at_its_line_and_the_others_still_register(tree, models, scan_cmd):
    write(models, "machine.json", BASE)
    bad = pump(extra=[{"@type": "Telemetry", "name": "bad name", "schema": "double"}])
    path = write(models, "pump.json", bad)

    result = scan_cmd(str(tree.root))

    assert result.code == 1
    ((line, column, message),) = errors_of(path)[:1]
    text = path.read_text().splitlines()
    assert "bad name" in text[line - 1], (line, message)
    assert list(DtdlModel.objects.values_list("dtmi", flat=True)) == ["dtmi:test:Machine;1"]


def test_a_changed_model_under_the_same_version_is_refused_and_a_version_bump_is_accepted(tree, models, scan_cmd):
    write(models, "machine.json", BASE)
    path = write(models, "pump.json", pump())
    scan_cmd(str(tree.root))
    changed = pump(extra=[{"@type": "Telemetry", "name": "flow", "schema": "double"}])
    write(models, "pump.json", changed)

    refused = scan_cmd(str(tree.root))

    assert refused.code == 1
    ((line, _column, message),) = errors_of(path)
    assert '"@id": "dtmi:test:Pump;1"' in path.read_text().splitlines()[line - 1]
    assert "dtmi:test:Pump;2" in message and "never changes" in message
    assert DtdlModel.objects.get(pk="dtmi:test:Pump;1").document == pump()

    write(models, "pump.json", {**changed, "@id": "dtmi:test:Pump;2"})
    bumped = scan_cmd(str(tree.root))

    assert bumped.code == 0, bumped.err
    assert set(DtdlModel.objects.values_list("dtmi", flat=True)) == {"dtmi:test:Machine;1", "dtmi:test:Pump;2"}
    actions = [(e["action"], e["dtmi"]) for e in model_events()]
    assert ("removed", "dtmi:test:Pump;1") in actions and ("created", "dtmi:test:Pump;2") in actions


def test_a_removed_model_file_removes_its_models(tree, models, scan_cmd):
    write(models, "machine.json", BASE)
    path = write(models, "tank.json", TANK)
    scan_cmd(str(tree.root))
    path.unlink()

    result = scan_cmd(str(tree.root))

    assert result.code == 0
    assert not DtdlModel.objects.filter(pk="dtmi:test:Tank;1").exists()
    assert model_events()[-1] == {"action": "removed", "dtmi": "dtmi:test:Tank;1", "source_path": str(path)}


def test_check_shows_what_a_scan_would_do_and_writes_nothing(tree, models, scan_cmd):
    write(models, "machine.json", BASE)
    result = scan_cmd("--check", str(tree.root))
    assert result.code == 0, result.err
    assert not DtdlModel.objects.exists() and not PortalEvent.objects.exists()


TYPED = """
model: dtmi:test:Pump;1
interfaces:
  data_streams:
    - {uri: mqtt://dtp/p/temp, signal: bearing_temp, unit: C}
    - {uri: mqtt://dtp/p/vib, signal: vibration_rms, unit: mm/s}
    - {uri: mqtt://dtp/p/serial, signal: serial}
    - mqtt://dtp/p/alerts
dependencies:
  static: [tank-1]
"""


def test_a_typed_twin_that_fits_its_model_is_registered_with_it(tree, models, scan_cmd):
    write(models, "machine.json", BASE)
    write(models, "pump.json", [pump(), TANK])
    tree.twin("tank", "tank-1", extra="model: dtmi:test:Tank;1\n")
    tree.twin("pump", "pump-1", extra=TYPED)

    result = scan_cmd(str(tree.root))

    assert result.code == 0, result.err
    assert Twin.objects.get(pk="pump-1").model == "dtmi:test:Pump;1"
    untyped = tree.twin("other", "plain-1")
    assert scan_cmd(str(tree.root)).code == 0 and Twin.objects.get(pk="plain-1").model == ""
    assert untyped.exists()


def line_of(path: Path, needle: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def test_a_twin_that_breaks_its_model_is_held_back_with_errors_at_its_lines(tree, models, scan_cmd):
    write(models, "machine.json", BASE)
    write(models, "pump.json", [pump(), TANK, {**TANK, "@id": "dtmi:test:Silo;1"}])
    tree.twin("silo", "silo-1", extra="model: dtmi:test:Silo;1\n")
    path = tree.twin("pump", "pump-1", extra="""
        model: dtmi:test:Pump;1
        interfaces:
          data_streams:
            - {uri: mqtt://dtp/p/temp, signal: bearing_temp, unit: kW}
            - uri: mqtt://dtp/p/flow
              signal: flow
        dependencies:
          static: [silo-1]
        """)

    result = scan_cmd(str(tree.root))

    assert result.code == 1
    found = errors_of(path)
    assert [line for line, _, _ in found] == [line_of(path, "bearing_temp"), line_of(path, "signal: flow"),
                                              line_of(path, "static:")]
    unit, signal, dependency = (message for _, _, message in found)
    assert "unit 'kW'" in unit and "degreeCelsius" in unit and "write unit: 'C'" in unit
    assert "'flow' is not a Telemetry or Property of dtmi:test:Pump;1" in signal and "bearing_temp" in signal
    assert "'silo-1' is a dtmi:test:Silo;1" in dependency and "feeds -> dtmi:test:Tank;1" in dependency
    assert not Twin.objects.filter(pk="pump-1").exists()
    assert f"twin.yaml:{line_of(path, 'signal: flow')}:" in result.err


def test_an_unknown_model_is_an_error_at_the_model_line_until_the_model_arrives(tree, models, scan_cmd):
    write(models, "machine.json", BASE)
    path = tree.twin("pump", "pump-1", extra=TYPED.replace("static: [tank-1]", "static: []"))

    first = scan_cmd(str(tree.root))

    assert first.code == 1
    ((line, column, message),) = errors_of(path)
    assert (line, column) == (line_of(path, "model:"), len("model: ") + 1)
    assert "dtmi:test:Pump;1 is not defined" in message

    write(models, "pump.json", [pump(), TANK])  # the twin file is unchanged: the new model re-checks it
    second = scan_cmd(str(tree.root))

    assert second.code == 0, second.err
    assert Twin.objects.get(pk="pump-1").model == "dtmi:test:Pump;1" and errors_of(path) == []


def test_a_twin_whose_model_goes_away_keeps_its_last_good_version(tree, models, scan_cmd):
    write(models, "machine.json", BASE)
    pump_file = write(models, "pump.json", [pump(), TANK])
    path = tree.twin("pump", "pump-1", extra=TYPED.replace("static: [tank-1]", "static: []"))
    scan_cmd(str(tree.root))
    pump_file.unlink()

    result = scan_cmd(str(tree.root))

    assert result.code == 1 and "is not defined" in errors_of(path)[0][2]
    assert Twin.objects.get(pk="pump-1").status == "active"


REPO = Path(settings.BASE_DIR)


def test_the_sample_twins_fit_the_shipped_models(scan_cmd):
    result = scan_cmd(str(REPO / "twins"))

    assert result.code == 0, result.err
    assert dict(Twin.objects.values_list("id", "model")) == {
        "lift-001": "dtmi:acme:building:Lift;1", "energy-hvac-001": "dtmi:acme:building:EnergyPlant;1",
        "room-sensor-001": "dtmi:acme:building:RoomSensor;1", "m5core2-001": "dtmi:makerlab:device:M5Core2;1"}
    assert DtdlModel.objects.filter(status="active").count() == len(list((REPO / "models").rglob("*.json")))


def test_the_generated_fleet_names_its_models_and_fits_them(tmp_path, scan_cmd):
    from twins.fleet.__main__ import main

    shutil.copytree(REPO / "models", tmp_path / "models")
    assert main(["generate", "--machines", "15", "--out", str(tmp_path / "twins")], {}) == 0

    result = scan_cmd(str(tmp_path / "twins"))

    assert result.code == 0, result.err
    models = set(Twin.objects.values_list("model", flat=True))
    assert len(models) == 15 and all(m.startswith("dtmi:polyglotdtp:fleet:") for m in models)


def test_the_shipped_fleet_models_are_what_the_catalog_makes(tmp_path):
    from twins.fleet.__main__ import main

    assert main(["models", "--out", str(tmp_path)], {}) == 0
    written = {p.name: p.read_text() for p in tmp_path.iterdir()}
    shipped = {p.name: p.read_text() for p in (REPO / "models" / "fleet").iterdir()}
    assert written == shipped


@pytest.mark.django_db(transaction=True)
def test_the_watcher_reconciles_a_new_model_and_rechecks_the_twin_that_waited_for_it(tree, manage):
    from tests.browser.server import wait_until

    models = tree.root.parent / "models"
    models.mkdir()
    write(models, "machine.json", BASE)
    tree.twin("pump", "pump-1", extra=TYPED.replace("static: [tank-1]", "static: []"))
    watcher = manage("scan_twins", "--watch", str(tree.root))
    lines = iter(watcher.stdout.readline, "")
    assert any(line.startswith("Watching") for line in lines), watcher.stderr.read()
    assert not Twin.objects.filter(pk="pump-1").exists()  # its model is not there yet

    write(models, "pump.json", [pump(), TANK])

    wait_until(lambda: Twin.objects.filter(pk="pump-1", model="dtmi:test:Pump;1").exists(), what="the new model")
    assert DtdlModel.objects.filter(pk="dtmi:test:Pump;1").exists()
    watcher.terminate()
    assert watcher.wait(timeout=15) == 0


def test_check_without_a_registry_database_validates_models_and_typed_twins(tree, models, tmp_path):
    import os
    import subprocess
    import sys

    write(models, "machine.json", BASE)
    write(models, "pump.json", [pump(), TANK])
    (models / "broken.json").write_text("[\n  {]\n")
    path = tree.twin("pump", "pump-1", extra="model: dtmi:test:Pump;1\ninterfaces:\n  data_streams:\n"
                                             "    - {uri: mqtt://dtp/p/x, signal: nope}\n")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "DTP_SCAN_ON_START": "false"}

    result = subprocess.run([sys.executable, "manage.py", "scan_twins", "--check", str(tree.root)], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "validating the files only" in result.stdout
    assert "broken.json:2:4: JSON syntax error" in result.stderr
    assert f"twin.yaml:{line_of(path, 'signal: nope')}:" in result.stderr and "'nope' is not a Telemetry" in result.stderr


def test_a_broken_base_model_does_not_take_down_the_models_that_extend_it(tree, models, scan_cmd):
    base = write(models, "machine.json", BASE)
    write(models, "pump.json", [pump(), TANK])
    scan_cmd(str(tree.root))
    broken = {**BASE, "contents": [{"@type": "Property", "name": "bad name", "schema": "string"}]}
    write(models, "machine.json", broken)

    result = scan_cmd(str(tree.root))

    assert result.code == 1
    assert [path for path, in SpecFileError.objects.values_list("path")] == [str(base)]
    assert dict(DtdlModel.objects.values_list("dtmi", "status")) == {
        "dtmi:test:Machine;1": "invalid", "dtmi:test:Pump;1": "active", "dtmi:test:Tank;1": "active"}


@pytest.mark.parametrize("unit, fits", [("C", True), ("°C", True), ("degreeCelsius", True), ("K", False),
                                        ("", False)])
def test_a_stream_unit_fits_when_it_spells_the_models_unit(tree, models, scan_cmd, unit, fits):
    write(models, "machine.json", BASE)
    write(models, "pump.json", [pump(), TANK])
    path = tree.twin("pump", "pump-1", extra=f"""
        model: dtmi:test:Pump;1
        interfaces:
          data_streams:
            - {{uri: mqtt://dtp/p/temp, signal: bearing_temp, unit: "{unit}"}}
        """)

    result = scan_cmd(str(tree.root))

    assert (result.code == 0) is fits, result.err
    if not fits:
        assert "write unit: 'C'" in errors_of(path)[0][2]


def test_a_missing_models_root_is_refused_instead_of_removing_every_model(tree, scan_cmd, settings, tmp_path):
    settings.DTP_MODELS_ROOTS = [str(tmp_path / "nowhere")]
    settings.DTP_TWINS_ROOTS = [str(tree.root)]

    with pytest.raises(Exception) as info:
        scan_cmd()

    assert "models root" in str(info.value) and "DTP_MODELS_ROOTS" in str(info.value)


def test_a_fifo_or_a_link_outside_the_model_roots_is_an_error_and_never_read(tree, models, scan_cmd, tmp_path):
    import os

    write(models, "machine.json", BASE)
    os.mkfifo(models / "pipe.json")
    secret = tmp_path / "secret.json"
    secret.write_text('{"password": "hunter2"}', encoding="utf-8")
    (models / "outside.json").symlink_to(secret)

    result = scan_cmd(str(tree.root))

    assert result.code == 1 and DtdlModel.objects.filter(dtmi="dtmi:test:Machine;1").exists()
    assert "not a regular file" in errors_of(models / "pipe.json")[0][2]
    outside = errors_of(models / "outside.json")[0][2]
    assert "leads outside the model roots" in outside and "DTP_MODELS_ROOTS" in outside
    assert "hunter2" not in result.out + result.err
    assert not SpecFileError.objects.filter(message__contains="hunter2").exists()
