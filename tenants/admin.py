from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.actors import Actor
from tenants.models import Agency, Membership
from tenants.scope import agency_scope
from tenants.services import (
    MembershipError,
    agency_save,
    agency_set_status,
    membership_add,
    membership_change_role,
    membership_remove,
)


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
    # Status changes only through the (audited) suspend / reactivate actions.
    readonly_fields = ["status"]

    def save_model(self, request: HttpRequest, obj: Agency, form: Any, change: bool) -> None:
        agency_save(agency=obj, actor=Actor.operator(request.user), changed=form.changed_data)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Membership edits go through the membership services, so each one is audited and checked."""
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        actor = Actor.operator(request.user)
        formset.save(commit=False)
        try:
            # Additions first, removals last: replacing the only admin in one save keeps an admin at every step.
            with transaction.atomic():
                for membership in formset.new_objects:
                    membership_add(agency=form.instance, user=membership.user, role=membership.role, actor=actor)
                for membership, fields in formset.changed_objects:
                    if "user" in fields:  # another person: a new membership starts, the old one ends
                        membership_add(agency=form.instance, user=membership.user, role=membership.role, actor=actor)
                        membership_remove(membership=membership, actor=actor)
                    elif "role" in fields:
                        membership_change_role(membership=membership, role=membership.role, actor=actor)
                for membership in formset.deleted_objects:
                    membership_remove(membership=membership, actor=actor)
        except MembershipError as exc:
            self.message_user(request, f"Memberships not changed: {exc}", level=messages.ERROR)

    @admin.action(description="Suspend selected agencies")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Agency]) -> None:
        for agency in queryset:
            agency_set_status(agency=agency, status="suspended", actor=Actor.operator(request.user))

    @admin.action(description="Reactivate selected agencies")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Agency]) -> None:
        for agency in queryset:
            agency_set_status(agency=agency, status="active", actor=Actor.operator(request.user))
