"""Errors as JSON a script can act on: a sentence, and for bad input the field path of each problem."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler


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
            return [{"field": prefix, "message": str(v)} for v in detail]
        out = []
        for i, value in enumerate(detail):
            out.extend(_flatten(value, f"{prefix}[{i}]"))
        return out
    return [{"field": prefix, "message": str(detail)}]


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ObjectDoesNotExist):
        # Unknown, and not visible to the caller, answer alike: no hint that another tenant's id exists.
        exc = exceptions.NotFound("No such resource, or not one you may see.")
    response = drf_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling (logged, no stack trace shown)
    if isinstance(exc, FieldErrors):
        response.data = {"detail": "The request has errors; see each field.", "errors": exc.errors}
    elif isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": "The request has errors; see each field.", "errors": _flatten(exc.detail)}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"]),
                         **{k: v for k, v in response.data.items() if k != "detail"}}
    extra = getattr(exc, "extra", None)
    if extra:
        response.data.update(extra)
    return response
