"""Errors as JSON a script can act on: a sentence, and for bad input the field path of each problem."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from rest_framework import exceptions, status
from rest_framework.response import Response

from ..values import Unstorable

log = logging.getLogger("registry.api")

# A request id from a proxy in front of us is reused when it looks like one; anything else is replaced.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class FieldErrors(exceptions.APIException):
    """400 with a list of {field, message}; `field` is a dotted path such as metadata.domain[0]."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors))


MAX_MESSAGE_CHARS = 300


def _short(message: str) -> str:
    """A safety net under every field message: a library's message may quote the input whole."""
    return message if len(message) <= MAX_MESSAGE_CHARS else message[:MAX_MESSAGE_CHARS] + "… (shortened)"


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested {"field": ["msg"]} into a flat list of {field, message}."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else str(key))
            out.extend(_flatten(value, name))
        return out
    if isinstance(detail, list):
        if all(isinstance(v, str) for v in detail):
            return [{"field": prefix, "message": _short(str(v))} for v in detail]
        out = []
        for i, value in enumerate(detail):
            out.extend(_flatten(value, f"{prefix}[{i}]"))
        return out
    return [{"field": prefix, "message": _short(str(detail))}]


def request_id(request: HttpRequest) -> str:
    """The id that ties an error answer to its log line: X-Request-ID if a proxy set a sane one, else new."""
    if not hasattr(request, "dtp_request_id"):
        given = request.headers.get("X-Request-ID", "")
        request.dtp_request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    return request.dtp_request_id


def server_error_body(request: HttpRequest, exc: BaseException | None) -> dict[str, str]:
    """Log an unexpected error with its request id (and traceback) and say what the caller can quote."""
    rid = request_id(request)
    log.error("unexpected error on %s %s (request_id=%s)", request.method, request.path, rid,
              exc_info=(type(exc), exc, exc.__traceback__) if exc is not None else None)
    return {"detail": f"An unexpected error; nothing was changed. Quote request id {rid} when reporting it.",
            "request_id": rid}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    # Imported here: rest_framework.views reads the settings, which name the parser, which imports this module.
    from rest_framework.views import exception_handler as drf_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, ObjectDoesNotExist):
        # Unknown, and not visible to the caller, answer alike: no hint that another tenant's id exists.
        exc = exceptions.NotFound("No such resource, or not one you may see.")
    if isinstance(exc, Unstorable):
        exc = FieldErrors([{"field": p.field, "message": p.message} for p in exc.problems])
    response = drf_handler(exc, context)
    if response is None:
        # A real server error: JSON with a request id that is also in the log; the transaction rolls back.
        set_rollback()
        request = context["request"]._request
        response = Response(server_error_body(request, exc), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        response["X-Request-ID"] = request.dtp_request_id
        response._has_been_logged = True  # logged above, with the id; Django need not log it again
        return response
    if isinstance(exc, FieldErrors):
        response.data = {"detail": "The request has errors; see each field.",
                         "errors": [{**e, "message": _short(e["message"])} for e in exc.errors]}
    elif isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": "The request has errors; see each field.", "errors": _flatten(exc.detail)}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"]),
                         **{k: v for k, v in response.data.items() if k != "detail"}}
    extra = getattr(exc, "extra", None)
    if extra:
        response.data.update(extra)
    return response
