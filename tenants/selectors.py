from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from tenants.models import Agency, Membership


def membership_for(*, user: User | AnonymousUser, agency_slug: str) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("agency").filter(user=user, agency__slug=agency_slug).first()


def memberships_of(*, user: User | AnonymousUser) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.select_related("agency").filter(user=user).order_by("agency__name")


def members_of(*, agency: Agency) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").filter(agency=agency).order_by("user__email", "user__username")


def agency_by_id(*, agency_id: int) -> Agency:
    return Agency.objects.get(pk=agency_id)
