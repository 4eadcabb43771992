"""Alarm events on the live stream: a tenant's alarm.* events reach that tenant's readers only, and a
reader granted one twin hears that twin's alarms and no other."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from alarms import services
from tenancy.models import Role
from tenancy.services import grant
from tenancy.tokens import create_token

from .browser.server import SseClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(two_tenant_server):
    return two_tenant_server  # tests/conftest.py: lift-a and pump-a in tenant-a, lift-b in tenant-b


def token_for(name: str, tenant: str, twin_id: str = "") -> dict[str, str]:
    user = User.objects.create_user(name)
    grant(tenant, Role.VIEWER, user=user, **({"twin_id": twin_id} if twin_id else {}))
    return {"Authorization": f"Token {create_token(user)[1]}"}


def next_alarm_event(client: SseClient):
    return client.next(skip=("keep-alive", "health.update", "stream-open", "twin.update", "service.update"))


def test_another_tenants_alarm_never_reaches_a_reader_and_their_own_does(server):
    stream = SseClient(server, "/api/portal/stream", headers=token_for("vera", "tenant-a"))
    try:
        services.raise_or_update(twin_id="lift-b", tenant="tenant-b", rule="theirs", severity="critical", value=9.0)
        mine, _ = services.raise_or_update(twin_id="lift-a", tenant="tenant-a", rule="ours", severity="major",
                                           value=1.0)
        event = next_alarm_event(stream)
    finally:
        stream.close()
    assert event.type == "alarm.raise"
    body = event.json()
    assert body["alarm"]["id"] == mine.id and body["alarm"]["tenant"] == "tenant-a"
    assert "lift-b" not in event.data and "theirs" not in event.data


def test_a_reader_granted_one_twin_hears_only_that_twins_alarms(server):
    stream = SseClient(server, "/api/portal/stream", headers=token_for("tom", "tenant-a", twin_id="pump-a"))
    try:
        services.raise_or_update(twin_id="lift-a", tenant="tenant-a", rule="not-yours", severity="major", value=1.0)
        pump, _ = services.raise_or_update(twin_id="pump-a", tenant="tenant-a", rule="yours", severity="minor",
                                           value=2.0)
        event = next_alarm_event(stream)
    finally:
        stream.close()
    assert (event.type, event.json()["alarm"]["id"]) == ("alarm.raise", pump.id)
