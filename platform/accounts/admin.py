"""Operator admin: API keys of every agency (read and revoke; keys are created in the console or by command)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import ApiKey, LoginFailure
from accounts.services import api_key_revoke
from audit.actors import Actor
from tenants.admin import AgencyOwnedAdmin


@admin.register(ApiKey)
class ApiKeyAdmin(AgencyOwnedAdmin):
    list_display = ["prefix", "name", "agency", "role", "status", "created_at", "last_used_at", "expires_at"]
    list_filter = ["role", "agency"]
    search_fields = ["prefix", "name", "agency__slug"]
    # The hash is never shown or edited; the plaintext does not exist anywhere.
    exclude = ["secret_hash"]
    readonly_fields = [
        "agency",
        "name",
        "role",
        "prefix",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a key made here could not be shown to anyone: use the console or manage.py createapikey

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead, so the audit trail keeps the key it refers to

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.select_related("agency"):
            api_key_revoke(key=key, actor=Actor.operator(request.user))


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["username", "ip", "occurred_at"]
    search_fields = ["username", "ip"]
    list_filter = ["occurred_at"]
