"""Serializer fields that take only the JSON type the OpenAPI document names.

DRF's fields coerce: a CharField turns 0 into "0", a BooleanField takes "yes" and 1. What the
schema says a client may send and what the API accepts should be the same thing.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictText:
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string")
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(StrictText, serializers.CharField):
    pass


class StrictRegexField(StrictText, serializers.RegexField):
    pass
