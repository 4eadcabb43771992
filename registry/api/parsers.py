"""A JSON parser with a body size limit, so a huge body is a 413 and not memory spent, and a body no
store can hold (NUL, lone surrogates, 1e400, deep nesting) is a 400 before any view sees it."""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from ..values import require_storable
from .errors import PayloadTooLarge


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DTP_API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The body is larger than {limit:,} bytes (DTP_API_MAX_BODY_BYTES).")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(f"The body is not valid {encoding}: byte {exc.start} cannot be decoded.") \
                from None
        try:
            data = json.loads(text, parse_constant=_no_constants)
        except ValueError as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from None
        except RecursionError:
            raise exceptions.ParseError("The body nests deeper than JSON documents here may.") from None
        require_storable(data)  # raises values.Unstorable: a 400 naming each field (errors.exception_handler)
        return data


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")
