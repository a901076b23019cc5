from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.actors import Actor
from tenants.models import Agency, Membership
from tenants.scope import agency_scope
from tenants.services import agency_set_status


class AgencyOwnedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Operator admin for tenant-owned models: sees every agency (explicit unscoped access), writes in scope."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.model.unscoped_objects.all()  # type: ignore[no-any-return]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with agency_scope(obj.agency):
            super().save_model(request, obj, form, change)


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["slug", "name", "country_code", "status", "created_at"]
    list_filter = ["status", "country_code"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]
    actions = ["suspend", "reactivate"]

    @admin.action(description="Suspend selected agencies")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Agency]) -> None:
        for agency in queryset:
            agency_set_status(agency=agency, status="suspended", actor=Actor.operator(request.user))

    @admin.action(description="Reactivate selected agencies")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Agency]) -> None:
        for agency in queryset:
            agency_set_status(agency=agency, status="active", actor=Actor.operator(request.user))
