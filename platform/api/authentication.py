from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.selectors import api_key_authenticate
from accounts.services import api_key_touch


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer tmk_<prefix>_<secret>`. The key, not any header or body field, decides the agency."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <api key>'.")
        key = api_key_authenticate(raw=header[1].decode(errors="replace"))
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown API key. Ask your agency admin for a valid key.")
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key was revoked. Ask your agency admin for a new one.")
        if not key.is_usable:
            raise exceptions.AuthenticationFailed("This API key has expired. Ask your agency admin for a new one.")
        api_key_touch(key=key)
        # Key requests act as no user; the key is the principal (request.auth).
        return AnonymousKeyUser(), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class AnonymousKeyUser(AnonymousUser):
    """The user of a request authenticated by API key: authenticated, but no person."""

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "tmk_<prefix>_<secret>"}
