"""Alarm webhooks end to end: endpoints over the API, deliveries signed the Standard Webhooks way to a
real receiver on 127.0.0.1 (which verifies them with the standardwebhooks library), retries, order per
alarm across an outage, final failures, attempts listed, redeliver; and tenancy on every webhook route."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from alarms import services
from alarms.webhooks.models import WebhookDelivery
from tenancy.models import Role
from tenancy.services import grant
from tenancy.tokens import create_token
from tests.browser.server import wait_until
from tests.webhook_receiver import Receiver

FAST = {"DTP_WEBHOOK_ALLOWED_NETWORKS": ["127.0.0.1/32"], "DTP_WEBHOOK_RETRY_SCHEDULE": ["0s"],
        "DTP_WEBHOOK_RETRY_EVERY": "0s", "DTP_WEBHOOK_GIVE_UP_AFTER": "1h", "DTP_WEBHOOK_TIMEOUT_SECONDS": 5.0}


@pytest.fixture
def world(tree, scan_cmd):
    tree.twin("a/lift", "lift-a", tenant="tenant-a")
    tree.twin("a/hvac", "hvac-a", tenant="tenant-a")
    tree.twin("b/lift", "lift-b", tenant="tenant-b")
    scan_cmd(str(tree.root))


def client(role: Role | None, tenant: str = "tenant-a", *, read_only: bool = False, name: str = "") -> APIClient:
    user = User.objects.create_user(name or f"{role.value if role else 'nobody'}-{tenant}-{'ro' if read_only else 'rw'}")
    if role:
        grant(tenant, role, user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user, read_only=read_only)[1]}")
    return api


def register(api: APIClient, url: str, **extra) -> dict:
    body = {"url": url, "tenant": "tenant-a", "events": ["alarm.raise", "alarm.update", "alarm.clear"], **extra}
    response = api.post("/api/webhooks", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def raise_alarm(twin: str = "lift-a", rule: str = "hot-room", severity: str = "major", tenant: str = "tenant-a"):
    return services.raise_or_update(twin_id=twin, tenant=tenant, rule=rule, severity=severity, value=31.0)[0]


def run_worker_once() -> None:
    call_command("webhooks", "--once")


# --- in the test process: `manage.py webhooks --once` ----------------------------------------------


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_a_delivery_is_signed_and_its_attempt_is_listed(world):
    admin = client(Role.ADMIN)
    receiver = Receiver(secret="").start()
    try:
        endpoint = register(admin, receiver.url)
        assert endpoint["secret"].startswith("whsec_")
        receiver.secret = endpoint["secret"]
        alarm = raise_alarm()
        run_worker_once()
        [got] = receiver.wait_for(1)
    finally:
        receiver.stop()
    assert receiver.forged == 0
    assert got["body"]["type"] == "alarm.raise" and got["body"]["data"]["id"] == alarm.id
    assert got["headers"]["webhook-id"].startswith("msg_") and got["headers"]["webhook-signature"].startswith("v1,")
    [delivery] = admin.get(f"/api/webhooks/{endpoint['id']}/deliveries").json()["results"]
    assert delivery["status"] == "delivered" and delivery["msg_id"] == got["headers"]["webhook-id"]
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] == 204 and attempt["outcome"] == "delivered" and attempt["latency_ms"] >= 0
    assert "secret" not in admin.get(f"/api/webhooks/{endpoint['id']}").json()


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_a_410_is_not_retried_and_the_delivery_is_marked_failed(world):
    receiver = Receiver(secret="", then=410).start()
    try:
        admin = client(Role.ADMIN)
        endpoint = register(admin, receiver.url, secret="whsec_" + "QUJD" * 8)
        receiver.secret = endpoint["secret"]
        raise_alarm()
        for _ in range(3):
            run_worker_once()
    finally:
        receiver.stop()
    assert receiver.calls == 1
    [delivery] = admin.get(f"/api/webhooks/{endpoint['id']}/deliveries").json()["results"]
    assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
    assert [(a["status_code"], a["outcome"]) for a in delivery["attempts"]] == [(410, "failed")]


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_a_500_and_a_429_are_retried_until_delivered_then_redeliver_sends_it_again(world):
    receiver = Receiver(secret="", script=[500, 429]).start()
    try:
        admin = client(Role.ADMIN)
        endpoint = register(admin, receiver.url)
        receiver.secret = endpoint["secret"]
        raise_alarm()
        for _ in range(3):
            run_worker_once()
        receiver.wait_for(1)
        [delivery] = admin.get(f"/api/webhooks/{endpoint['id']}/deliveries").json()["results"]
        assert [(a["status_code"], a["outcome"]) for a in delivery["attempts"]] == [
            (500, "retry"), (429, "retry"), (204, "delivered")]
        again = admin.post(f"/api/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
        assert again.status_code == 202 and again.json()["status"] == "pending"
        run_worker_once()
        first, second = receiver.wait_for(2)
    finally:
        receiver.stop()
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    [delivery] = admin.get(f"/api/webhooks/{endpoint['id']}/deliveries").json()["results"]
    assert delivery["status"] == "delivered" and len(delivery["attempts"]) == 4


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_events_and_min_severity_choose_what_an_endpoint_hears(world):
    receiver = Receiver(secret="").start()
    try:
        admin = client(Role.ADMIN)
        endpoint = register(admin, receiver.url, events=["alarm.raise"], min_severity="major")
        receiver.secret = endpoint["secret"]
        raise_alarm(twin="hvac-a", rule="slow-fan", severity="minor")
        major = raise_alarm()
        services.clear(major.id, User.objects.get(username="admin-tenant-a-rw"))
        raise_alarm(twin="lift-b", tenant="tenant-b", severity="critical")
        run_worker_once()
        [got] = receiver.wait_for(1)
    finally:
        receiver.stop()
    assert (got["body"]["type"], got["body"]["data"]["id"]) == ("alarm.raise", major.id)
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@override_settings(DTP_WEBHOOK_ALLOWED_NETWORKS=[])
def test_loopback_and_private_targets_are_refused_unless_admitted(world):
    admin = client(Role.ADMIN)
    for url in ["http://127.0.0.1:9/x", "http://10.0.0.5/x", "http://169.254.169.254/latest", "http://[::1]/x",
                "ftp://hooks.example.com/x", "http://user:pw@hooks.example.com/x"]:
        response = admin.post("/api/webhooks", {"url": url, "tenant": "tenant-a", "events": ["alarm.raise"]},
                              format="json")
        assert response.status_code == 400, url
        assert response.json()["errors"][0]["field"] == "url"
    bad_secret = admin.post("/api/webhooks", {"url": "https://hooks.example.com/x", "tenant": "tenant-a",
                                              "events": ["alarm.raise"], "secret": "s3cret"}, format="json")
    assert bad_secret.status_code == 400 and bad_secret.json()["errors"][0]["field"] == "secret"


# --- tenancy -------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(DTP_WEBHOOK_ALLOWED_NETWORKS=["127.0.0.1/32"])
def test_only_a_tenants_admins_create_and_delete_and_others_see_nothing_foreign(world):
    admin = client(Role.ADMIN)
    body = {"url": "http://127.0.0.1:9/hooks?token=abc", "tenant": "tenant-a", "events": ["alarm.raise"]}
    for api, code in [(client(Role.OPERATOR), 403), (client(Role.VIEWER), 403),
                      (client(Role.ADMIN, read_only=True), 403), (client(Role.ADMIN, "tenant-b"), 403)]:
        assert api.post("/api/webhooks", body, format="json").status_code == code
    created = admin.post("/api/webhooks", body, format="json").json()
    path = f"/api/webhooks/{created['id']}"
    viewer = client(Role.VIEWER, name="vera")
    assert viewer.get(path).status_code == 200 and viewer.get(path).json()["url"] == "http://127.0.0.1:9/hooks?…"
    assert admin.get(path).json()["url"] == body["url"]
    assert viewer.delete(path).status_code == 403
    other = client(Role.ADMIN, "tenant-b", name="bob")
    for method, suffix in [("get", ""), ("delete", ""), ("get", "/deliveries"), ("post", "/deliveries/1/redeliver")]:
        response = getattr(other, method)(path + suffix)
        assert response.status_code == 404, (method, suffix)
        assert str(created["id"]) not in response.content.decode()
    assert other.get("/api/webhooks").json()["results"] == []
    assert admin.delete(path).status_code == 204 and admin.get(path).status_code == 404


# --- a real worker process -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@override_settings(DTP_WEBHOOK_ALLOWED_NETWORKS=["127.0.0.1/32"])
def test_a_receiver_down_then_up_receives_everything_in_order_per_alarm(world, db_env, manage):
    db_env.update({"DTP_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32", "DTP_WEBHOOK_RETRY_SCHEDULE": "0.1s,0.2s,0.3s",
                   "DTP_WEBHOOK_RETRY_EVERY": "0.3s", "DTP_WEBHOOK_GIVE_UP_AFTER": "10m",
                   "DTP_WEBHOOK_POLL_SECONDS": "0.1", "DTP_WEBHOOK_GAP_SECONDS": "1"})
    admin = client(Role.ADMIN, name="adele")
    receiver = Receiver(secret="")  # not started: the port refuses connections
    endpoint = register(admin, receiver.url)
    receiver.secret = endpoint["secret"]
    worker = manage("webhooks")
    alarms = [raise_alarm(), raise_alarm(twin="hvac-a", rule="slow-fan", severity="minor")]
    for alarm in alarms:
        services.acknowledge(alarm.id, User.objects.get(username="adele"))
        services.clear(alarm.id, "rule")
    wait_until(lambda: WebhookDelivery.objects.filter(attempts__gte=2).count() >= 2, what="failed attempts")
    assert worker.poll() is None
    receiver.start()
    try:
        got = receiver.wait_for(6)
    finally:
        receiver.stop()
    assert receiver.forged == 0
    for alarm in alarms:
        mine = [(g["body"]["type"], g["body"]["event_id"]) for g in got if g["body"]["data"]["id"] == alarm.id]
        assert [t for t, _ in mine] == ["alarm.raise", "alarm.update", "alarm.clear"]
        assert [e for _, e in mine] == sorted(e for _, e in mine)
    # The worker records "delivered" once the receiver has answered: await it, do not race it.
    wait_until(lambda: WebhookDelivery.objects.filter(status="delivered").count() == 6, what="6 delivered")


# --- the retry schedule ------------------------------------------------------------------------------


def test_the_default_schedule_is_the_issues_with_jitter_then_hourly_until_24_hours():
    from datetime import datetime, timedelta, timezone

    from alarms.webhooks.schedule import RetryPolicy

    policy = RetryPolicy.from_settings()
    start = datetime(2026, 12, 1, tzinfo=timezone.utc)
    now, failures, delays = start, 0, []
    while True:
        failures += 1
        when = policy.next_attempt(failures, start, now)
        if when is None:
            break
        delays.append((when - now).total_seconds())
        now = when
    expected = [10, 30, 60, 300, 600, 1800, 3600]
    for got, base in zip(delays, expected):
        assert base * 0.8 <= got <= base * 1.2
    assert all(3600 * 0.8 <= d <= 3600 * 1.2 for d in delays[len(expected):])
    assert now - start <= timedelta(hours=24) and now - start > timedelta(hours=22)


@pytest.mark.django_db(transaction=True)
@override_settings(**{**FAST, "DTP_WEBHOOK_GIVE_UP_AFTER": "0s"})
def test_a_retryable_failure_past_the_give_up_time_is_marked_failed_with_the_reason(world):
    receiver = Receiver(secret="", then=503).start()
    try:
        admin = client(Role.ADMIN)
        endpoint = register(admin, receiver.url)
        receiver.secret = endpoint["secret"]
        raise_alarm()
        run_worker_once()
        run_worker_once()
    finally:
        receiver.stop()
    [delivery] = admin.get(f"/api/webhooks/{endpoint['id']}/deliveries").json()["results"]
    assert delivery["status"] == "failed" and receiver.calls == 1
    assert "given up" in delivery["attempts"][0]["error"] and delivery["attempts"][0]["status_code"] == 503
