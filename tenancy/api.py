"""Self-service API tokens: `/api/tokens` lists and creates the caller's tokens, `/api/tokens/{prefix}` revokes one.

Tokens are shown once, when created; lists show only their prefix.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .permissions import ReadsOrWritesAllowed
from .tokens import TOKEN_PREFIX, create_token, revoke_own_token, tokens_of

__all__ = ["TokenListView", "TokenDetailView"]


class TokenSerializer(serializers.Serializer):
    prefix = serializers.SerializerMethodField()
    name = serializers.CharField()
    read_only = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)

    def get_prefix(self, token) -> str:
        return TOKEN_PREFIX + token.prefix


class StrictBooleanField(serializers.BooleanField):
    """true or false, as the OpenAPI document says: not DRF's 0, 1, "yes", "on"..."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=str(data)[:40])
        return data


class StrictCharField(serializers.CharField):
    """A JSON string, as the OpenAPI document says: DRF would turn 0 into "0"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string")
        return super().to_internal_value(data)


class NewTokenSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    read_only = StrictBooleanField(required=False, default=False)


class CreatedTokenSerializer(TokenSerializer):
    token = serializers.CharField(help_text="the token itself: shown this once, store it now")


class _SignedIn(ReadsOrWritesAllowed):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated) and super().has_permission(request, view)


class TokenListView(APIView):
    permission_classes = [_SignedIn]

    @extend_schema(responses=TokenSerializer(many=True), summary="Your API tokens (prefixes only)")
    def get(self, request: Request) -> Response:
        return Response(TokenSerializer(tokens_of(request.user), many=True).data)

    @extend_schema(request=NewTokenSerializer, responses={201: CreatedTokenSerializer},
                   summary="Create an API token for yourself; it is shown once")
    def post(self, request: Request) -> Response:
        body = NewTokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token, raw = create_token(request.user, name=body.validated_data["name"],
                                  read_only=body.validated_data["read_only"])
        return Response({**TokenSerializer(token).data, "token": raw}, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    permission_classes = [_SignedIn]

    @extend_schema(responses={204: None}, summary="Revoke one of your tokens (staff: anyone's) by its prefix")
    def delete(self, request: Request, prefix: str) -> Response:
        if not revoke_own_token(request.user, prefix):
            raise NotFound(f"you have no token with the prefix {prefix!r}")
        return Response(status=status.HTTP_204_NO_CONTENT)


