"""Every answer under /api/ is JSON in the documented shape, also the ones Django itself gives;
an unexpected 500 carries a request id that its log line carries too; /api/schema/ is valid OpenAPI 3."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from registry.models import SpecFileError
from tests.test_api import client, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.django_db


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/nothing-here"),
    ("delete", "/api/registry/twins/"),
    ("get", "/api/registry/twins/lift-a%00x"),
    ("post", "/api/registry/twins/lift-a/history/more"),
    ("get", "/api/registry/twins/no-such-twin"),
])
def test_a_path_no_endpoint_serves_is_a_json_404(world, method, path):  # noqa: F811
    assert_json_error(getattr(client(staff=True), method)(path), 404)


def test_a_method_an_endpoint_does_not_take_is_a_json_405(world):  # noqa: F811
    assert_json_error(client(staff=True).put("/api/registry/twins/lift-a", {}, format="json"), 405)


def test_an_endpoint_written_without_its_slash_still_redirects_and_pages_keep_html(world):  # noqa: F811
    api = client(staff=True)
    response = api.get("/api/docs?x=1")
    assert response.status_code == 301 and response["Location"] == "/api/docs/?x=1"
    page = APIClient().get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_an_unexpected_error_is_a_json_500_with_a_request_id_that_is_in_the_log(world, caplog):  # noqa: F811
    api = client(staff=True)
    api.raise_request_exception = False
    table = SpecFileError._meta.db_table
    with transaction.atomic():  # the fault: the table the endpoint reads is gone, until the rollback below
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_gone"')
        with caplog.at_level(logging.ERROR):
            response = api.get("/api/registry/spec-errors")
        transaction.set_rollback(True)

    body = assert_json_error(response, 500)
    request_id = body["request_id"]
    assert request_id in body["detail"] and response["X-Request-ID"] == request_id
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None, "one log line, with the traceback"
    assert table not in response.content.decode(), "no internals in the answer"
    assert api.get("/api/registry/spec-errors").status_code == 200


def test_a_request_id_given_by_a_proxy_is_kept_and_a_strange_one_replaced(world, caplog):  # noqa: F811
    api = client(staff=True)
    table = SpecFileError._meta.db_table
    answers = []
    for given in ("proxy-req-0001", "bad id\n"):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_gone"')
            answers.append(api.get("/api/registry/spec-errors", HTTP_X_REQUEST_ID=given).json()["request_id"])
            transaction.set_rollback(True)
    assert answers[0] == "proxy-req-0001"
    assert answers[1] != "bad id\n" and answers[1].isalnum()


def test_the_openapi_document_is_valid_openapi_3(world):  # noqa: F811
    response = client(staff=True).get("/api/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    validate(document)  # raises with the offending path when the document is not valid OpenAPI
    history = document["paths"]["/api/registry/twins/{twin_id}/history"]["get"]["responses"]["200"]
    assert len(history["content"]["application/json"]["schema"]["oneOf"]) == 2


def test_an_error_outside_the_rest_views_under_api_is_json_500_too(world, caplog):  # noqa: F811
    """The stream is a plain Django view: Django's handler500 answers for it, in the same shape."""
    browser = APIClient(raise_request_exception=False)
    browser.force_login(User.objects.create_superuser("ops", password="x"))
    table = Session._meta.db_table
    with transaction.atomic():  # the fault: the session table is gone while the request reads it
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_gone"')
        with caplog.at_level(logging.ERROR):
            response = browser.get("/api/portal/stream")
        transaction.set_rollback(True)
    body = assert_json_error(response, 500)
    assert [r for r in caplog.records if body["request_id"] in r.getMessage() and r.exc_info]


def test_a_request_django_itself_refuses_under_api_is_json(world):  # noqa: F811
    response = APIClient().get("/api/registry/twins", HTTP_HOST="evil.example")
    assert_json_error(response, 400)
    page = APIClient().get("/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
