"""Users create and revoke their own API tokens, over the API and on the portal's Tokens page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def with_token(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {raw}")


def test_a_user_creates_lists_uses_and_revokes_a_token_through_the_api():
    alice = User.objects.create_user("alice")
    session = signed_in(alice)

    made = session.post("/api/tokens", {"name": "ci", "read_only": False}, content_type="application/json")
    assert made.status_code == 201
    raw = made.json()["token"]
    assert raw.startswith(made.json()["prefix"]) and made.json()["name"] == "ci"

    listed = session.get("/api/tokens").json()
    assert [t["prefix"] for t in listed] == [made.json()["prefix"]]
    assert raw not in str(listed)  # lists show prefixes, never the token

    assert with_token(raw).get("/api/registry/twins").status_code == 200
    assert with_token(raw).get("/api/tokens").json()[0]["last_used_at"] is not None

    assert session.delete(f"/api/tokens/{made.json()['prefix']}").status_code == 204
    assert with_token(raw).get("/api/registry/twins").status_code == 401


def test_a_read_only_token_cannot_make_tokens_and_nobody_revokes_someone_elses():
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    ro = signed_in(alice).post("/api/tokens", {"read_only": True}, content_type="application/json").json()
    assert ro["read_only"] is True
    assert with_token(ro["token"]).post("/api/tokens", {}, content_type="application/json").status_code == 403

    assert signed_in(bob).delete(f"/api/tokens/{ro['prefix']}").status_code == 404  # not bob's
    assert with_token(ro["token"]).get("/api/tokens").status_code == 200  # still alive
    staff = User.objects.create_superuser("root", password="x")
    assert signed_in(staff).delete(f"/api/tokens/{ro['prefix']}").status_code == 204
    assert Client().get("/api/tokens").status_code in (401, 403)


def test_the_tokens_page_shows_a_new_token_once_and_revokes_it():
    alice = User.objects.create_user("alice")
    page = signed_in(alice)
    html = page.post("/account/tokens/", {"action": "create", "name": "laptop", "read_only": "on"}).content.decode()
    raw = re.search(r'id="new-token">.*?<code>(dtp_[^<]+)</code>', html, re.S).group(1)
    assert "read-only" in html and "laptop" in html
    assert with_token(raw).get("/api/registry/twins").status_code == 200

    again = page.get("/account/tokens/").content.decode()
    assert raw not in again and raw[:12] in again  # the prefix stays, the secret is gone

    prefix = re.search(r'name="prefix" value="([^"]+)"', again).group(1)
    assert page.post("/account/tokens/", {"action": "revoke", "prefix": prefix}).status_code == 302
    assert with_token(raw).get("/api/registry/twins").status_code == 401
    assert Client().get("/account/tokens/").status_code == 302  # anonymous: to the sign-in page
