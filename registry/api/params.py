"""Query parameters and URL parts, read strictly: a value the API cannot use is a 400 naming the parameter.

Reads must not fail on their input any more than writes: a NUL in ?tenant= reaches PostgreSQL
as an error, an offset of +99:00 breaks the time arithmetic, `limit=abc` would silently mean the
default page. Each is refused here with a sentence, before any query runs.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timezone as dt_timezone

from django.urls import register_converter
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from ..values import quote, text_problem
from .errors import FieldErrors

MAX_PARAM_CHARS = 1000


class IdConverter:
    """A path id: 1 to 255 characters, no slash and no NUL. Anything else matches no route (a JSON 404)."""

    regex = r"[^/\x00]{1,255}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class DtmiConverter(IdConverter):
    """A model id in a path: `dtmi:`, then up to DTDL's 4096 characters, no slash and no NUL."""

    regex = r"dtmi:[^/\x00]{1,4091}"


register_converter(IdConverter, "id")
register_converter(DtmiConverter, "dtmi")


def _refuse(name: str, message: str) -> FieldErrors:
    return FieldErrors([{"field": name, "message": f"{name} {message}"}])


def check_query(request: Request) -> None:
    """Every query parameter is printable text of bounded length (what any store can compare with)."""
    for name, raw in request.query_params.lists():
        for value in [name, *raw]:
            problem = text_problem(value, MAX_PARAM_CHARS)
            if problem:
                raise _refuse(quote(name) if value is name else name, problem)


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _refuse(name, f"must be a whole number; got {quote(raw)}") from None
    if not low <= value <= high:
        raise _refuse(name, f"must be between {low} and {high}")
    return value


def bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    raw = raw.lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise _refuse(name, f"must be true or false; got {quote(raw)}")
    return raw in ("true", "1", "yes")


def time_param(request: Request, name: str) -> datetime:
    """An ISO 8601 time; without an offset, UTC. A time that does not exist is a 400, never a 500."""
    raw = request.query_params[name]
    example = "an ISO 8601 time, e.g. 2026-11-25T10:00:00Z"
    try:
        when = parse_datetime(raw.replace(" ", "+"))  # a '+' sent unencoded arrives as a space
    except ValueError as exc:  # a well-formed but impossible time: 2026-02-30, +99:00
        raise _refuse(name, f"must be {example}; {quote(raw)} is not a real time ({exc})") from None
    if when is None:
        raise _refuse(name, f"must be {example}; got {quote(raw)}")
    if timezone.is_naive(when):
        when = when.replace(tzinfo=dt_timezone.utc)
    try:
        return when.astimezone(dt_timezone.utc)
    except OverflowError:
        raise _refuse(name, f"must lie between the years 1 and 9999 in UTC; got {quote(raw)}") from None


class StrictCursor(CursorPagination):
    """Cursor pages whose `limit` is checked (1..max_page_size), not silently replaced by the default."""

    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000

    def get_page_size(self, request: Request) -> int:
        return int_param(request, self.page_size_query_param, self.page_size, 1, self.max_page_size)

    def decode_cursor(self, request: Request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and text_problem(str(cursor.position)):
            raise _refuse(self.cursor_query_param, "is not a cursor this API sent; follow `next` instead")
        return cursor
