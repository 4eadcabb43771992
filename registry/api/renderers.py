"""JSON bodies written by orjson: a 100-twin page is ~100 KB, which json.dumps takes milliseconds over.

Same JSON as DRF's JSONRenderer (compact, UTF-8, no NaN): values orjson has no native form for
the same way as DRF (datetimes, decimals and the like through DRF's own encoder), and whatever
orjson refuses (an integer beyond 64 bits, non-string keys) or an `indent` asked for in the
Accept header goes to DRF's renderer.
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_default = JSONEncoder().default


class FastJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict[str, Any] | None = None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is None:
            try:
                return orjson.dumps(data, default=_default, option=_OPTIONS)
            except (orjson.JSONEncodeError, TypeError, ValueError):
                pass  # DRF words (or refuses) it below
        return super().render(data, accepted_media_type, renderer_context)
