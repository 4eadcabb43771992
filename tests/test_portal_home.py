"""The home page over HTTP: pages of cards or rows, filters that mean what the API's mean, latest values."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry.reconcile import update_runtime

pytestmark = pytest.mark.django_db

SENSOR = """
description: {description}
metadata:
  domain: [{domain}]
interfaces:
  data_streams:
    - uri: mqtt://dtp/{id}/temp
      signal: temperature
      unit: degC
    - uri: mqtt://dtp/{id}/hum
      signal: humidity
      unit: "%"
"""


@pytest.fixture
def client(staff_client):
    return staff_client  # this module's pages, read as staff (tests/conftest.py)


@pytest.fixture
def fleet(tree, scan_cmd):
    """60 twins in two tenants: more than a page of cards (48)."""
    for n in range(60):
        tenant = "acme" if n % 3 else "globex"
        domain = "energy" if n % 2 else "lift"
        description = "boiler room" if n % 5 == 0 else "plain"
        tree.twin(f"t{n:02d}", f"twin-{n:02d}", tenant=tenant, name=f"Sensor {n:02d}",
                  extra=SENSOR.format(id=f"twin-{n:02d}", domain=domain, description=description))
    assert scan_cmd(str(tree.root)).code == 0
    return tree


def ids_on(html: str) -> list[str]:
    return re.findall(r'<(?:article|tr) class="(?:card|twin-row)[^"]*" data-twin-id="([^"]+)"', html)


def api_ids(client: Client, query: str) -> set[str]:
    return {t["id"] for t in client.get(f"/api/registry/twins?limit=1000&{query}").json()["results"]}


def test_the_home_page_shows_one_page_of_cards_and_links_the_next(client, fleet):
    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()

    assert len(ids_on(first)) == 48 and len(ids_on(second)) == 12
    assert not set(ids_on(first)) & set(ids_on(second))
    assert 'rel="next" href="?page=2"' in first and 'rel="prev" href="?"' in second
    assert "1–48 of 60 twins" in first and "<h1>Twins</h1>" in first


@pytest.mark.parametrize("query", ["q=boiler", "q=sensor+0", "q=TWIN-1", "tenant=globex", "status=active",
                                   "domain=energy", "tenant=acme&domain=lift&q=sensor", "source=api"])
def test_a_filter_selects_the_same_twins_as_the_api(client, fleet, query):
    shown = set(ids_on(client.get(f"/?view=table&{query}").content.decode()))
    assert shown == api_ids(client, query)


def test_the_filters_are_in_the_url_and_in_the_form(client, fleet):
    html = client.get("/?tenant=globex&q=sensor&view=table").content.decode()

    assert '<option selected>globex</option>' in html and 'name="q" value="sensor"' in html
    assert 'href="?tenant=globex&amp;q=sensor"' in html  # the cards view keeps the filters
    assert '<input type="hidden" name="view" value="table">' in html


def test_a_filter_matching_nothing_says_so(client, fleet):
    html = client.get("/?q=no-such-text").content.decode()
    assert ids_on(html) == [] and "No twins match these filters" in html


def test_the_table_view_has_a_row_per_twin_with_the_cards_facts(client, fleet):
    update_runtime("twin-01", {"liveness": "receiving", "last_seen": "2026-11-26T07:00:00+00:00"}, source="ingest")
    html = client.get("/?view=table&q=twin-01").content.decode()

    row = html[html.index('data-twin-id="twin-01"'):].split("</tr>")[0]
    assert ">Sensor 01<" in row and ">acme<" in row and ">energy<" in row and ">receiving<" in row
    assert '<time class="rel" datetime="2026-11-26T07:00:00+00:00">' in row


def test_a_card_shows_the_twins_name_and_labels_its_ui_link_with_ui_name(client, tree, scan_cmd):
    tree.twin("lift", "lift-9", name="Lift nine", extra="ui:\n  url: http://lift/\n  name: Lift dashboard\n")
    tree.twin("hvac", "hvac-9", name="HVAC nine", extra="ui:\n  url: http://hvac/\n")
    scan_cmd(str(tree.root))
    html = client.get("/").content.decode()

    lift = html[html.index('data-twin-id="lift-9"'):].split("</article>")[0]
    hvac = html[html.index('data-twin-id="hvac-9"'):].split("</article>")[0]
    assert 'data-field="name" href="/twins/lift-9/">Lift nine<' in lift and ">Lift dashboard →<" in lift
    assert ">Open UI →<" in hvac
    assert "<h1 data-field=\"name\">Lift nine</h1>" in client.get("/twins/lift-9/").content.decode()


def write_observations(rows: list[tuple[str, str, str, float, str]]) -> None:
    from dataplane.writers.sql import SqlWriter

    writer = SqlWriter(dict(connection.settings_dict), connection.vendor)
    writer.write([{"k": "obs", "time": t, "twin": twin, "signal": signal, "value": v, "unit": unit,
                   "quality": "good"} for twin, signal, t, v, unit in rows])
    writer.close()


@pytest.fixture
def empty_data_tables():
    with connection.cursor() as cursor:  # plain tables: the test flush does not empty them
        for table in ("observation", "signal", "event_log"):
            cursor.execute(f"DELETE FROM {table}")


@pytest.mark.django_db(transaction=True)  # the writer has a connection of its own
def test_cards_show_each_declared_signals_latest_value_with_its_unit(client, fleet, empty_data_tables):
    write_observations([("twin-01", "temperature", "2026-11-26T07:00:00+00:00", 20.5, "degC"),
                        ("twin-01", "temperature", "2026-11-26T07:00:05+00:00", 21.25, "degC")])
    html = client.get("/?q=twin-01").content.decode()

    card = html[html.index('data-twin-id="twin-01"'):].split("</article>")[0]
    temp = card[card.index('data-signal="temperature"'):].split("</li>")[0]
    hum = card[card.index('data-signal="humidity"'):].split("</li>")[0]
    assert 'data-part="value">21.25<' in temp and ">degC<" in temp and 'datetime="2026-11-26T07:00:05+00:00"' in temp
    assert 'data-part="value">–<' in hum and ">%<" in hum  # declared, never observed

    values = client.get("/cards/values/?id=twin-01&id=twin-02").content.decode()
    assert 'data-values-for="twin-01"' in values and 'data-values-for="twin-02"' in values and "21.25" in values


@pytest.mark.django_db(transaction=True)
def test_a_page_costs_the_same_queries_whatever_its_number_of_cards(client, fleet, empty_data_tables):
    write_observations([(f"twin-{n:02d}", "temperature", "2026-11-26T07:00:00+00:00", n, "degC") for n in range(60)])

    def queries(path: str) -> int:
        client.get(path)  # warm
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx)

    assert queries("/?q=twin-0") == queries("/") == queries("/?view=table")


def test_the_cards_fragment_renders_the_pages_own_markup_for_visible_twins_only(fleet, django_user_model):
    from tenancy.services import grant

    viewer = django_user_model.objects.create_user("viewer", password="x")
    grant("globex", "viewer", user=viewer)
    client = Client()
    client.force_login(viewer)

    cards = client.get("/cards/?id=twin-00&id=twin-01").content.decode()
    rows = client.get("/cards/?id=twin-00&view=table").content.decode()
    assert ids_on(cards) == ["twin-00"] and cards.lstrip().startswith('<article class="card')
    assert ids_on(rows) == ["twin-00"] and rows.lstrip().startswith('<tr class="twin-row')
    assert client.get("/?q=twin-01").content.decode().count('data-twin-id="twin-01"') == 0
    assert Client().get("/cards/?id=twin-00").status_code == 302  # signed out: to the sign-in page
