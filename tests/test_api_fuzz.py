"""Schemathesis drives the whole API from its OpenAPI document: no 500, and no response outside the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.db import close_old_connections
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import CHECKS

from tenancy.models import Role
from tenancy.services import grant
from tenancy.tokens import create_token

pytestmark = pytest.mark.django_db

EXAMPLES = 25  # per operation: enough to cross every validator, small enough for make test

CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
               "response_schema_conformance")


@pytest.fixture
def api_schema(db, tree, scan_cmd):
    tree.twin("a/lift", "lift-a", tenant="tenant-a",
              extra="interfaces: {data_streams: [mqtt://dtp/a/v]}\ndependencies: {static: [hvac-a]}\n")
    tree.twin("a/hvac", "hvac-a", tenant="tenant-a")
    scan_cmd(str(tree.root))
    # As Django's test client does: keep the test's connection (and transaction) open across requests.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(db) -> str:
    user = User.objects.create_user("fuzzer")
    grant("tenant-a", Role.ADMIN, user=user)
    return create_token(user)[1]


def test_the_api_answers_every_generated_request_within_its_schema(api_schema, token):
    checks = [c for c in CHECKS.get_all() if c.__name__ in CHECK_NAMES]
    assert len(checks) == len(CHECK_NAMES)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case):
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=checks)

        exercise()
