"""Schemathesis drives the whole API from its OpenAPI document: no 500, and no answer outside the schema.

Every operation, in the examples, coverage and fuzzing phases, as an admin, a viewer and a holder
of a read-only token, on this test's throwaway database. The run is bounded (FUZZ_EXAMPLES per
operation in the fuzzing phase; the coverage phase is a fixed set of edge cases) so that it stays
a part of `make test`; derandomized, so a failure reproduces.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tenancy.models import Role
from tenancy.services import grant
from tenancy.tokens import create_token

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = 15
FUZZ_SEED = 20261201
# Every default check but one: a schema-valid body may still be refused for what OpenAPI cannot say
# (a stream URI's kind, a dependency on the twin itself, the role a tenant needs), and that refusal
# is a 400 the schema documents, not a fault.
NOT_CHECKED = [positive_data_acceptance]


@pytest.fixture
def world(db, tree, scan_cmd):
    tree.twin("a/lift", "lift-a", tenant="tenant-a",
              extra="interfaces: {data_streams: [mqtt://dtp/a/v]}\ndependencies: {static: [hvac-a]}\n")
    tree.twin("a/hvac", "hvac-a", tenant="tenant-a")
    tree.twin("b/lift", "lift-b", tenant="tenant-b")
    scan_cmd(str(tree.root))
    # An alarm (with an incident) and a webhook endpoint, so their lists answer with rows the schema must describe.
    from alarms.services import raise_or_update
    from alarms.webhooks.services import create_endpoint

    for twin in ("hvac-a", "lift-a"):
        raise_or_update(twin_id=twin, tenant="tenant-a", rule="hot", severity="major", value=1.0)
    create_endpoint(tenant="tenant-a", url="https://hooks.example.com/x", events=["alarm.raise"], min_severity="minor")
    # As Django's test client does: keep the test's connection (and transaction) open across requests.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


def _token(role: Role, *, read_only: bool = False) -> str:
    user = User.objects.create_user(f"fuzzer-{role.value}-{'ro' if read_only else 'rw'}")
    grant("tenant-a", role, user=user)
    return create_token(user, read_only=read_only)[1]


@pytest.fixture
def admin_token(db) -> str:
    return _token(Role.ADMIN)


@pytest.fixture
def viewer_token(db) -> str:
    return _token(Role.VIEWER)


@pytest.fixture
def read_only_token(db) -> str:
    return _token(Role.ADMIN, read_only=True)


# Loaded when the module is collected (Django is set up by then; reading the schema needs no database).
# A fixed seed: each run sends the same requests, so a failure here reproduces on the next run.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(),
                                        config=SchemathesisConfig(seed=FUZZ_SEED))
bounded = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


def exercise(case, token: str) -> None:
    """Send the case with the token; every default check of schemathesis must pass."""
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, excluded_checks=NOT_CHECKED)


@schema.parametrize()
@bounded
def test_as_an_admin_every_generated_request_is_answered_within_the_schema(case, world, admin_token):
    exercise(case, admin_token)


@schema.parametrize()
@bounded
def test_as_a_viewer_every_generated_request_is_answered_within_the_schema(case, world, viewer_token):
    exercise(case, viewer_token)


@schema.parametrize()
@bounded
def test_with_a_read_only_token_every_generated_request_is_answered_within_the_schema(case, world, read_only_token):
    exercise(case, read_only_token)
