"""Who reads the live stream: a tenant's events reach only those granted that tenant, and a revocation
cuts a stream that is already open."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

import pytest
from django.contrib.auth.models import User
from django.test import Client

from registry.reconcile import update_runtime
from tenancy.models import Grant, Role
from tenancy.services import grant

from .browser.server import AsgiServer, SseClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(two_tenant_server):
    return two_tenant_server  # tests/conftest.py: lift-a and pump-a in tenant-a, lift-b in tenant-b


def cookie_of(user: User) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}


def viewer_of_a() -> User:
    viewer = User.objects.create_user("viewer-a")
    grant("tenant-a", Role.VIEWER, user=viewer)
    return viewer


def test_anonymous_gets_401_and_a_user_asking_for_another_tenant_403(server):
    SseClient(server, "/api/portal/stream", expect=401).close()
    SseClient(server, "/api/portal/stream?tenant=tenant-b", headers=cookie_of(viewer_of_a()), expect=403).close()


def test_a_viewer_receives_its_tenants_events_and_none_of_another(server):
    stream = SseClient(server, "/api/portal/stream", headers=cookie_of(viewer_of_a()))
    try:
        assert stream.next(skip=("keep-alive", "health.update", "message")).type == "stream-open"
        update_runtime("lift-b", {"status": "maintenance"}, source="test:b")  # not for this viewer
        update_runtime("lift-a", {"status": "maintenance"}, source="test:a")
        event = stream.next(skip=("keep-alive", "health.update"))
        assert event.type == "twin.update" and event.json()["twin"]["id"] == "lift-a"
        assert "lift-b" not in event.data
    finally:
        stream.close()


def test_a_grant_on_one_twin_streams_that_twins_events_and_no_sibling_of_its_tenant(server):
    holder = User.objects.create_user("one-twin")
    grant("tenant-a", Role.VIEWER, user=holder, twin_id="pump-a")
    stream = SseClient(server, "/api/portal/stream", headers=cookie_of(holder))
    try:
        assert stream.next(skip=("keep-alive", "health.update", "message")).type == "stream-open"
        update_runtime("lift-a", {"status": "maintenance"}, source="test")  # same tenant, not granted
        update_runtime("pump-a", {"status": "maintenance"}, source="test")
        event = stream.next(skip=("keep-alive", "health.update"))
        assert event.type == "twin.update" and event.json()["twin"]["id"] == "pump-a"
        assert "lift-a" not in event.data
    finally:
        stream.close()
    SseClient(server, "/api/portal/stream?tenant=tenant-b", headers=cookie_of(holder), expect=403).close()


def test_revoking_a_grant_in_the_admin_cuts_the_open_stream(server):
    viewer = viewer_of_a()
    staff = User.objects.create_superuser("staff", password="x")
    stream = SseClient(server, "/api/portal/stream", headers=cookie_of(viewer))
    try:
        assert stream.next(skip=("keep-alive", "health.update", "message")).type == "stream-open"
        revoke_in_admin(server, cookie_of(staff), Grant.objects.get(user=viewer).pk)
        cut = stream.next(skip=("keep-alive", "health.update"))
        assert cut.type == "stream-error" and "Permission denied" in cut.data
        update_runtime("lift-a", {"status": "maintenance"}, source="test:a")
        rest = []
        with pytest.raises(EOFError):  # the server ends the stream; nothing of tenant-a comes after the cut
            while True:
                rest.append(stream.next(skip=("keep-alive", "health.update")))
        assert {e.type for e in rest} <= {"stream-error"}
    finally:
        stream.close()
    assert not Grant.objects.filter(user=viewer).exists()


def test_a_group_grant_revoked_from_the_cli_in_another_process_ends_the_open_stream(server, manage):
    from django.contrib.auth.models import Group

    team = Group.objects.create(name="team-a")
    viewer = User.objects.create_user("member")
    viewer.groups.add(team)
    grant("tenant-a", Role.VIEWER, group=team)
    stream = SseClient(server, "/api/portal/stream", headers=cookie_of(viewer))
    try:
        assert stream.next(skip=("keep-alive", "health.update", "message")).type == "stream-open"
        update_runtime("lift-a", {"status": "maintenance"}, source="test:a")
        assert stream.next(skip=("keep-alive", "health.update")).json()["twin"]["id"] == "lift-a"

        revoke = manage("revoke", "--group", "team-a", "tenant-a")  # not the web process: no local kick
        assert revoke.wait(timeout=60) == 0, revoke.stderr.read()
        update_runtime("lift-a", {"status": "active"}, source="test:a")
        rest = []
        with pytest.raises(EOFError):  # the stream ends before tenant-a's next event goes out
            while True:
                rest.append(stream.next(skip=("keep-alive", "health.update")))
        assert [e for e in rest if "lift-a" in e.data] == []
    finally:
        stream.close()


def revoke_in_admin(server: AsgiServer, cookie: dict[str, str], grant_pk: int) -> None:
    """What a staff user does: the Grants list, tick the grant, run "Revoke the selected grants"."""
    page_url = f"{server.url}/admin/tenancy/grant/"
    page = urllib.request.urlopen(urllib.request.Request(page_url, headers=cookie), timeout=30)
    html = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    csrf_cookie = re.search(r"csrftoken=([^;]+)", page.headers.get("Set-Cookie", "")).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "action": "revoke_grants",
                                   "_selected_action": grant_pk, "index": 0}).encode()
    headers = {"Cookie": f"{cookie['Cookie']}; csrftoken={csrf_cookie}", "Referer": page_url}
    urllib.request.urlopen(urllib.request.Request(page_url, data=body, headers=headers), timeout=30).read()


def token_of(user: User, *, read_only: bool = False) -> str:
    from tenancy.tokens import create_token

    return create_token(user, name="script", read_only=read_only)[1]


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_a_script_follows_the_stream_with_an_api_token_under_the_same_tenant_rules(server, scheme):
    raw = token_of(viewer_of_a(), read_only=True)
    SseClient(server, "/api/portal/stream?tenant=tenant-b", headers={"Authorization": f"{scheme} {raw}"},
              expect=403).close()
    stream = SseClient(server, "/api/portal/stream", headers={"Authorization": f"{scheme} {raw}"})
    try:
        assert stream.next(skip=("keep-alive", "health.update", "message")).type == "stream-open"
        update_runtime("lift-b", {"status": "maintenance"}, source="test:b")  # not this token's tenant
        update_runtime("lift-a", {"status": "maintenance"}, source="test:a")
        event = stream.next(skip=("keep-alive", "health.update"))
        assert event.type == "twin.update" and event.json()["twin"]["id"] == "lift-a"
    finally:
        stream.close()


def test_a_bad_token_is_a_401_naming_the_problem_not_an_anonymous_stream(server):
    for header in ("Token not-a-real-token", "Bearer", "Token a b"):
        response = SseClient(server, "/api/portal/stream", headers={"Authorization": header}, expect=401)
        response.close()


def test_revoking_the_token_ends_the_stream_it_opened(server):
    from tenancy.tokens import revoke_tokens

    viewer = viewer_of_a()
    raw = token_of(viewer)
    stream = SseClient(server, "/api/portal/stream", headers={"Authorization": f"Token {raw}"})
    try:
        assert stream.next(skip=("keep-alive", "health.update", "message")).type == "stream-open"
        assert revoke_tokens(user=viewer) == 1  # the grant stays: only the token goes
        update_runtime("lift-a", {"status": "maintenance"}, source="test:a")
        rest = []
        with pytest.raises(EOFError):
            while True:
                rest.append(stream.next(skip=("keep-alive", "health.update")))
        assert [e for e in rest if "lift-a" in e.data] == []
    finally:
        stream.close()
