"""Operator administration of endpoints (platform-wide) with their live health."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from routing.models import Endpoint, EndpointHealth, PolicyVersion
from routing.probe import endpoint_probe


class EndpointHealthInline(admin.StackedInline):  # type: ignore[type-arg]
    model = EndpointHealth
    can_delete = False
    readonly_fields = ("status", "latency_ms", "last_error", "misconfigured", "checked_at", "last_ok_at")
    extra = 0


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "name",
        "kind",
        "hosting",
        "jurisdiction",
        "region",
        "deployment_type",
        "max_classification",
        "enabled",
        "health_status",
        "health_latency",
        "health_error",
    )
    list_filter = ("kind", "hosting", "jurisdiction", "enabled", "health__status")
    search_fields = ("name", "model", "base_url")
    inlines = [EndpointHealthInline]
    actions = ["probe_now"]
    fieldsets = (
        (None, {"fields": ("name", "kind", "enabled", "base_url", "model", "api_version", "system_role")}),
        (_("Authentication (by reference only)"), {"fields": ("auth", "secret_env", "secret_file")}),
        (_("Residency"), {"fields": ("hosting", "jurisdiction", "region", "deployment_type", "max_classification")}),
        (_("Capabilities"), {"fields": ("capabilities", "languages", "context_window", "max_output_tokens")}),
        (
            _("Limits and prices"),
            {"fields": ("max_concurrency", "rpm", "tpm", "price_input_per_1k", "price_output_per_1k")},
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Endpoint]:
        return super().get_queryset(request).select_related("health")

    @admin.display(description=_("health"), ordering="health__status")
    def health_status(self, obj: Endpoint) -> str:
        health = getattr(obj, "health", None)
        return str(health.get_status_display()) if health is not None else str(_("Unknown (not probed yet)"))

    @admin.display(description=_("latency (ms)"))
    def health_latency(self, obj: Endpoint) -> str:
        health = getattr(obj, "health", None)
        return f"{health.latency_ms:.0f}" if health is not None and health.latency_ms is not None else "—"

    @admin.display(description=_("last error"))
    def health_error(self, obj: Endpoint) -> str:
        health = getattr(obj, "health", None)
        return health.last_error[:120] if health is not None else ""

    @admin.action(description=_("Probe selected endpoints now"))
    def probe_now(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            health = endpoint_probe(endpoint=endpoint)
            self.message_user(request, f"{endpoint.name}: {health.get_status_display()}")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only for operators: agency admins own their policies (console and API)."""

    list_display = ("agency", "version", "default_classification", "created_by", "created_at")
    list_filter = ("agency",)
    readonly_fields = ("agency", "version", "default_classification", "rules", "created_by", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PolicyVersion]:
        # Operator view across agencies: the scoped manager would refuse without an agency in scope.
        return PolicyVersion.unscoped_objects.select_related("agency")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
