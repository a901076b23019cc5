"""API key management for agency admins. Keys are looked up in the agency in scope: others' keys answer 404."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKey
from accounts.selectors import api_key_get, api_keys_list
from accounts.services import api_key_create, api_key_revoke
from api.base import AgencyAPIView
from api.errors import ApiError
from tenants.models import ADMIN_ROLES, Role


class ApiKeySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(
        choices=["active", "revoked", "expired"], read_only=True, help_text="Said in words, never by colour alone."
    )
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "role",
            "status",
            "created_at",
            "created_by",
            "expires_at",
            "revoked_at",
            "last_used_at",
        ]
        read_only_fields = fields

    def get_created_by(self, key: ApiKey) -> str | None:
        return key.created_by.get_username() if key.created_by else None


class ApiKeyCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=100, help_text="What the key is for, e.g. the system that uses it.")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the key stops working (ISO 8601). Omit for no expiry."
    )

    def validate_expires_at(self, value: Any) -> Any:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Choose a time in the future, or omit expires_at.")
        return value


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The key itself. Returned once, never again: store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeysView(AgencyAPIView):
    roles_by_method = {"GET": ADMIN_ROLES, "POST": ADMIN_ROLES}

    @extend_schema(
        operation_id="keys_list",
        tags=["API keys"],
        summary="API keys of the agency (agency admins)",
        responses=ApiKeySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(ApiKeySerializer(api_keys_list(), many=True).data)

    @extend_schema(
        operation_id="keys_create",
        tags=["API keys"],
        summary="Create an API key (agency admins). The key is in this response only.",
        request=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user if getattr(request.user, "pk", None) else None
        key, plaintext = api_key_create(
            agency=request.agency,  # type: ignore[attr-defined]
            actor=request.actor,  # type: ignore[attr-defined]
            name=serializer.validated_data["name"],
            role=serializer.validated_data["role"],
            expires_at=serializer.validated_data.get("expires_at"),
            created_by=user,
        )
        data = ApiKeySerializer(key).data
        data["key"] = plaintext
        response = Response(data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyRevokeView(AgencyAPIView):
    roles_by_method = {"POST": ADMIN_ROLES}

    @extend_schema(
        operation_id="keys_revoke",
        tags=["API keys"],
        summary="Revoke an API key (agency admins). Systems using it are refused at once. Idempotent.",
        request=None,
        responses={
            200: ApiKeySerializer,
            404: OpenApiResponse(description="No such key in your agency."),
        },
    )
    def post(self, request: Request, key_id: int) -> Response:
        try:
            key = api_key_get(key_id=key_id)
        except ApiKey.DoesNotExist as exc:
            raise ApiError(
                status=404, code="not_found", message="No such API key in your agency. List keys with GET /api/v1/keys."
            ) from exc
        api_key_revoke(key=key, actor=request.actor)  # type: ignore[attr-defined]
        return Response(ApiKeySerializer(key).data)
