"""GET /api/registry/twins/{id}/series: the resolution that fits max_points, strict parameters, tenancy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection

from dataplane.writers.sql import SqlWriter
from tenancy.models import Role
from tests.test_api import client

pytestmark = pytest.mark.django_db(transaction=True)  # the writer has its own connection

START = datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)
URL = "/api/registry/twins/lift-a/series"


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


@pytest.fixture
def world(tree, scan_cmd):
    tree.twin("a/lift", "lift-a", tenant="tenant-a", name="Lift A")
    tree.twin("b/lift", "lift-b", tenant="tenant-b", name="Lift B")
    scan_cmd(str(tree.root))
    with connection.cursor() as cursor:  # plain tables: the test flush does not empty them
        for table in ("observation", "signal", "rollup_1m", "rollup_1h"):
            cursor.execute(f"DELETE FROM {table} WHERE twin IN ('lift-a', 'lift-b')")
    writer = SqlWriter(dict(connection.settings_dict), connection.vendor)
    # six hours at one observation every 10 s: 2160 rows, 360 minutes, 6 hours
    rows = [{"k": "obs", "time": (START + timedelta(seconds=10 * i)).isoformat(), "twin": "lift-a",
             "signal": "vibration", "value": float(i % 60), "unit": "mm/s", "quality": "good"} for i in range(2160)]
    for i in range(0, len(rows), 500):
        writer.write(rows[i:i + 500])
    writer.close()
    return tree


def get(api, **params):
    return api.get(URL, {"signal": "vibration", "from": iso(START), "to": iso(START + timedelta(hours=6)), **params})


@pytest.mark.parametrize("span, max_points, resolution, points", [
    (timedelta(minutes=5), 100, "raw", 30),
    (timedelta(hours=6), 2160, "raw", 2160),
    (timedelta(hours=6), 2159, "1m", 360),
    (timedelta(hours=6), 360, "1m", 360),
    (timedelta(hours=6), 359, "1h", 6),
    (timedelta(hours=6), 4, "1h", 3),  # six hours merged in pairs: never more than max_points
    (timedelta(hours=6), 1, "1h", 1),
])
def test_the_finest_resolution_within_max_points_answers(world, span, max_points, resolution, points):
    body = get(client(Role.VIEWER), to=iso(START + span), max_points=max_points).json()
    assert (body["resolution"], len(body["points"])) == (resolution, points)
    assert len(body["points"]) <= max_points
    assert sum(p["count"] for p in body["points"]) == span // timedelta(seconds=10)  # every row counted once
    assert body["unit"] == "mm/s" and body["signal"] == "vibration"


def test_points_carry_count_min_max_mean_and_last_of_their_bucket(world):
    body = get(client(Role.VIEWER), max_points=400).json()
    first = body["points"][0]  # the first minute: values 0..5
    assert first == {"time": iso(START), "count": 6, "min": 0.0, "max": 5.0, "mean": 2.5, "last": 5.0}
    raw = get(client(Role.VIEWER, name="raw-viewer"), to=iso(START + timedelta(seconds=20))).json()
    assert raw["resolution"] == "raw"
    assert raw["points"][1] == {"time": iso(START + timedelta(seconds=10)), "count": 1, "min": 1.0, "max": 1.0,
                                "mean": 1.0, "last": 1.0}


def test_a_signal_without_data_is_an_empty_raw_series(world):
    body = client(Role.VIEWER).get(URL, {"signal": "nothing"}).json()
    assert body == {"twin": "lift-a", "signal": "nothing", "unit": "", "resolution": "raw", "points": []}


@pytest.mark.parametrize("params, field", [
    ({"signal": ""}, "signal"),
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-02-30T00:00:00Z"}, "to"),
    ({"from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "from"),
    ({"max_points": "0"}, "max_points"),
    ({"max_points": "many"}, "max_points"),
    ({"max_points": "10001"}, "max_points"),
])
def test_bad_parameters_are_a_400_naming_the_parameter(world, params, field):
    response = get(client(Role.VIEWER), **params)
    assert response.status_code == 400
    assert field in str(response.json())


def test_a_missing_signal_is_a_400(world):
    response = client(Role.VIEWER).get(URL)
    assert response.status_code == 400 and "signal" in str(response.json())


def test_another_tenants_twin_is_a_404_like_a_missing_one(world):
    other = client(Role.VIEWER, tenant="tenant-b")
    assert get(other).status_code == 404
    assert other.get("/api/registry/twins/lift-b/series", {"signal": "vibration"}).status_code == 200
    assert client(Role.VIEWER).get("/api/registry/twins/nope/series", {"signal": "x"}).status_code == 404
    assert get(client(None)).status_code == 404
    from rest_framework.test import APIClient

    assert APIClient().get(URL, {"signal": "vibration"}).status_code == 401


def test_a_point_of_an_additive_unit_also_gives_its_sum(world):
    writer = SqlWriter(dict(connection.settings_dict), connection.vendor)
    writer.write([{"k": "obs", "time": (START + timedelta(seconds=10 * i)).isoformat(), "twin": "lift-a",
                   "signal": "energy", "value": 0.5, "unit": "kWh", "quality": "good"} for i in range(12)])
    writer.close()
    body = client(Role.VIEWER).get(URL, {"signal": "energy", "from": iso(START), "to": iso(START + timedelta(hours=1)),
                                         "max_points": 5}).json()
    assert body["resolution"] == "1m" and [p["sum"] for p in body["points"]] == [3.0, 3.0]
    assert "sum" not in get(client(Role.VIEWER, name="v2"), max_points=400).json()["points"][0]  # mm/s is a rate
