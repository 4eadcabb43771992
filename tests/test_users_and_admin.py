"""Ordinary users come from `create_user`; twins change only through reconcile, never the admin."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from registry.models import PortalEvent, Twin, UpdateCmd

pytestmark = pytest.mark.django_db


def create_user(*args: str, stdin: str) -> str:
    out = io.StringIO()
    call_command("create_user", *args, stdin=io.StringIO(stdin), stdout=out)
    return out.getvalue()


def test_it_creates_an_ordinary_user_who_can_sign_in_and_be_granted(client, two_twins):
    out = create_user("alice", "--password-stdin", "--email", "alice@example.org", stdin="long-enough-Pw-42\n")

    alice = User.objects.get(username="alice")
    assert not alice.is_staff and not alice.is_superuser and alice.email == "alice@example.org"
    assert "manage.py grant alice" in out
    call_command("grant", "alice", "acme", "viewer", stdout=io.StringIO())
    assert client.login(username="alice", password="long-enough-Pw-42")
    assert [t["id"] for t in client.get("/api/registry/twins").json()["results"]] == ["lift-1"]


def test_it_refuses_a_taken_name_without_touching_that_user():
    User.objects.create_user("bob", password="first-Password-1")
    with pytest.raises(CommandError, match="exists already"):
        create_user("bob", "--password-stdin", stdin="second-Password-2\n")
    assert User.objects.get(username="bob").check_password("first-Password-1")


def test_it_refuses_a_weak_or_empty_password_and_creates_nobody():
    with pytest.raises(CommandError, match="password was refused"):
        create_user("carol", "--password-stdin", stdin="123\n")
    with pytest.raises(CommandError, match="empty password"):
        create_user("carol", "--password-stdin", stdin="\n")
    assert not User.objects.filter(username="carol").exists()


def test_without_a_terminal_it_asks_for_password_stdin():
    with pytest.raises(CommandError, match="--password-stdin"):
        create_user("dave", stdin="")


def test_granting_an_unknown_user_points_at_create_user():
    with pytest.raises(CommandError, match="manage.py create_user"):
        call_command("grant", "nobody", "acme", "viewer", stdout=io.StringIO())


@pytest.fixture
def two_twins(tree, scan_cmd):
    tree.twin("a", "lift-1", tenant="acme")
    tree.twin("b", "lift-2", tenant="other")
    scan_cmd(str(tree.root))


def test_the_admin_cannot_delete_a_twin(client, two_twins):
    client.force_login(User.objects.create_superuser("root", password="x"))
    before = (Twin.objects.count(), UpdateCmd.objects.count(), PortalEvent.objects.count())

    page = client.get("/admin/registry/twin/")
    assert page.status_code == 200 and b"lift-1" in page.content
    assert b"delete_selected" not in page.content
    assert client.get("/admin/registry/twin/lift-1/delete/").status_code == 403
    assert client.post("/admin/registry/twin/lift-1/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post("/admin/registry/twin/", {"action": "delete_selected", "_selected_action": ["lift-1"],
                                                 "post": "yes"})
    assert bulk.status_code in (200, 302)

    assert (Twin.objects.count(), UpdateCmd.objects.count(), PortalEvent.objects.count()) == before
    assert client.get("/admin/registry/twin/lift-1/change/").status_code == 200  # still shown, read-only
