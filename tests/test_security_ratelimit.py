"""Sign-in and token limits through a real uvicorn, started as `make run` starts it (supervisor.web_argv).

Forged X-Forwarded-For headers must not reset the count; a trusted proxy's
forwarded address must be honoured; other people's failures must never
refuse a valid token, nor a browser that signed in to its account before.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import User

from tenancy.tokens import create_token
from tests.browser.server import AsgiServer

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 10  # DTP_AUTH_FAILURES_PER_MINUTE's default
PASSWORD = "a-right-password-7"


@contextmanager
def web(db_env: dict[str, str], trusted: tuple[str, ...] = (), **env: str) -> Iterator[AsgiServer]:
    server = AsgiServer({**db_env, "DTP_SCAN_ON_START": "false", "REDIS_URL": "", "DTP_HEALTH_INTERVAL": "3600",
                         "DTP_LOG_LEVEL": "ERROR", **env}, trusted_proxies=trusted)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies kept, redirects not followed: what a browser's sign-in form does, seen as status codes."""

    def __init__(self, server: AsgiServer) -> None:
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        req = urllib.request.Request(self.server.url + path, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, dict(exc.headers), exc.read().decode()

    def sign_in(self, username: str, password: str, forwarded_for: str = "") -> int:
        extra = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        _, _, page = self.request("GET", "/accounts/login/", headers=extra)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrfmiddlewaretoken": csrf}).encode()
        status, _, _ = self.request("POST", "/accounts/login/", body, {
            "Content-Type": "application/x-www-form-urlencoded", **extra})
        return status

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        return next((c for c in self.jar if c.name == name), None)

    def forget_session(self) -> None:
        self.jar.clear("127.0.0.1", "/", "sessionid")


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice", password=PASSWORD)


def test_forged_forwarded_headers_do_not_reset_the_sign_in_limit(db_env, alice):
    with web(db_env) as server:
        attacker = Browser(server)
        codes = [attacker.sign_in("alice", "guess", forwarded_for=f"203.0.113.{n}") for n in range(30)]
        spray = [attacker.sign_in(f"user-{n}", "guess", forwarded_for=f"198.51.100.{n}") for n in range(3)]
    assert codes == [200] * LIMIT + [429] * (30 - LIMIT)
    assert spray == [429] * 3  # the address is held back whichever name it tries


def test_a_trusted_proxys_forwarded_addresses_are_told_apart_but_an_account_still_counts(db_env, alice):
    with web(db_env, trusted=("127.0.0.1",)) as server:
        proxy = Browser(server)
        # Many real clients behind the proxy, each failing once at a name of its own: nobody is held back.
        others = [proxy.sign_in(f"user-{n}", "guess", forwarded_for=f"203.0.113.{n}") for n in range(LIMIT + 5)]
        # One account guessed at from ever-changing addresses: the name's count holds.
        guesses = [proxy.sign_in("ALICE" if n % 2 else "alice", "guess", forwarded_for=f"198.51.100.{n}")
                   for n in range(LIMIT + 5)]
    assert others == [200] * (LIMIT + 5)
    assert guesses == [200] * LIMIT + [429] * 5


def test_a_browser_that_signed_in_before_gets_in_despite_others_failures(db_env, alice):
    with web(db_env) as server:
        hers = Browser(server)
        assert hers.sign_in("alice", PASSWORD) == 302 and hers.cookie("dtp_device") is not None
        hers.forget_session()
        attacker = Browser(server)  # the same address (a shared proxy, a NAT): 127.0.0.1
        failures = [attacker.sign_in(name, "guess") for name in ["alice", "bob"] * LIMIT]
        attacker_with_the_password = attacker.sign_in("alice", PASSWORD)
        her_sign_in = hers.sign_in("alice", PASSWORD)
        session = hers.cookie("sessionid")
    assert failures[:LIMIT] == [200] * LIMIT and set(failures[LIMIT:]) == {429}
    assert attacker_with_the_password == 429  # guessing is refused unchecked, even the right guess
    assert her_sign_in == 302 and session is not None


def test_a_valid_token_is_accepted_after_others_failed_token_checks(db_env, alice):
    _, token = create_token(alice)
    with web(db_env) as server:
        client = Browser(server)
        bad = [client.request("GET", "/api/tokens", headers={"Authorization": "Token dtp_wrong"})[0]
               for _ in range(LIMIT + 2)]
        status, _, body = client.request("GET", "/api/tokens", headers={"Authorization": f"Token {token}"})
    assert bad == [401] * LIMIT + [429] * 2
    assert status == 200 and json.loads(body)[0]["prefix"] == token[:12]


def test_api_requests_are_throttled_per_user_when_configured(db_env, alice):
    bob = User.objects.create_user("bob")
    _, alices = create_token(alice)
    _, bobs = create_token(bob)
    with web(db_env, DTP_API_THROTTLE_USER="5/min") as server:
        client = Browser(server)

        def get(token: str) -> tuple[int, dict[str, str], str]:
            return client.request("GET", "/api/tokens", headers={"Authorization": f"Token {token}"})

        hers = [get(alices)[0] for _ in range(5)]
        status, headers, body = get(alices)
        his = get(bobs)[0]
    assert hers == [200] * 5
    assert status == 429 and int(headers["Retry-After"]) > 0
    assert headers["Content-Type"].startswith("application/json") and "detail" in json.loads(body)
    assert his == 200  # counted per user, not per address


def test_anonymous_api_throttling_counts_the_address_not_its_forged_header(db_env):
    with web(db_env, DTP_API_THROTTLE_ANON="3/min") as server:
        client = Browser(server)
        codes = [client.request("GET", "/api/schema/", headers={"X-Forwarded-For": f"203.0.113.{n}"})[0]
                 for n in range(5)]
    assert codes == [200] * 3 + [429] * 2
