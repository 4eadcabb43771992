"""Response headers: a Content-Security-Policy without inline script on every page; with DTP_HTTPS, HSTS and
secure cookies."""

from __future__ import annotations

import http.client
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.browser.server import AsgiServer

pytestmark = pytest.mark.django_db

PAGES = ["/", "/twins/lift-001/", "/events/", "/errors/", "/account/tokens/", "/accounts/login/", "/admin/login/",
         "/admin/", "/admin/registry/twin/", "/admin/registry/twin/lift-001/change/"]
SIGNED_OUT = {"/accounts/login/", "/admin/login/"}
# What a policy without 'unsafe-inline' refuses to run or apply, so no page of ours may contain it.
INLINE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I), "a javascript: URL"),
]


def directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}


@pytest.fixture
def staff(tree, scan_cmd) -> Client:
    tree.twin("lift", "lift-001", extra="dependencies:\n  static: [hvac-1]\n")
    tree.twin("hvac", "hvac-1")
    scan_cmd(str(tree.root))
    client = Client()
    client.force_login(User.objects.create_superuser("staff", password="x"))
    return client


@pytest.mark.parametrize("path", PAGES)
def test_every_page_forbids_inline_script_and_holds_none(staff, path):
    response = Client().get(path) if path in SIGNED_OUT else staff.get(path)

    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    for pattern, what in INLINE:
        assert not pattern.search(html), f"{path} holds {what}: {pattern.search(html).group(0)}"


def test_the_api_and_its_errors_carry_the_policy_too(staff):
    assert "script-src 'self'" in staff.get("/api/registry/twins").headers["Content-Security-Policy"]
    assert "Content-Security-Policy" in Client().get("/api/registry/twins")  # a 401


def test_the_api_docs_pages_get_only_what_their_inline_bootstrap_needs(staff):
    policy = directives(staff.get("/api/docs/")["Content-Security-Policy"])
    assert "'unsafe-inline'" in policy["script-src"] and policy["object-src"] == ["'none'"]


def _fetch(server: AsgiServer, method: str, path: str, body: str = "",
           headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request(method, path, body=body.encode() or None, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    """Set-Cookie headers by cookie name, the whole header as the value (its flags included)."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_all("Set-Cookie") or []}


def _sign_in_through_a_tls_proxy(server: AsgiServer) -> tuple[http.client.HTTPResponse, http.client.HTTPResponse]:
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    page = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    page.request("GET", "/accounts/login/", headers=proxy)
    login = page.getresponse()
    html = login.read().decode()
    page.close()
    csrf_cookie = _cookies(login)["csrftoken"].split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    form = f"username=alice&password=pw-alice-9&csrfmiddlewaretoken={token}"
    posted = _fetch(server, "POST", "/accounts/login/", form,
                    {**proxy, "Cookie": csrf_cookie, "Origin": f"https://127.0.0.1:{server.port}",
                     "Content-Type": "application/x-www-form-urlencoded"})
    return login, posted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("https", [True, False])
def test_https_turns_on_hsts_and_secure_cookies(db_env, https):
    User.objects.create_user("alice", password="pw-alice-9")
    env = {**db_env, "DTP_SCAN_ON_START": "false", "REDIS_URL": "", "DTP_HEALTH_INTERVAL": "3600",
           "DTP_LOG_LEVEL": "ERROR", "DTP_HTTPS": "true" if https else "false"}
    server = AsgiServer(env, trusted_proxies=("127.0.0.1",)).start()
    try:
        login, posted = _sign_in_through_a_tls_proxy(server)
        plain = _fetch(server, "GET", "/healthz")  # a probe over plain HTTP: no redirect, no HSTS
    finally:
        server.stop()

    assert posted.status == 302, posted.status
    cookies = {**_cookies(login), **_cookies(posted)}
    assert set(cookies) >= {"csrftoken", "sessionid", "dtp_device"}
    for name, header in cookies.items():
        assert ("; Secure" in header) is https, (name, header)
    if https:
        assert login.headers["Strict-Transport-Security"] == "max-age=31536000"
    else:
        assert login.headers["Strict-Transport-Security"] is None
    assert plain.status == 200 and plain.headers["Strict-Transport-Security"] is None
