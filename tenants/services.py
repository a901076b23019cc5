from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

import audit
from audit import actions
from audit.actors import Actor
from tenants.models import Agency, AgencyStatus, Membership, Role


class MembershipError(ValueError):
    """A membership change that would leave the agency in a bad state; the message says why."""


class AlreadyMemberError(MembershipError):
    """The person is already a member of this agency."""


class LastAdminError(MembershipError):
    """The change would leave the agency without an agency admin."""


def agency_create(*, slug: str, name: str, actor: Actor, country_code: str = "FR") -> Agency:
    return agency_save(agency=Agency(slug=slug, name=name, country_code=country_code.upper()), actor=actor)


def agency_save(*, agency: Agency, actor: Actor, changed: Iterable[str] = ()) -> Agency:
    """Create an agency, or store an operator's edit of one (Django admin). Status goes through agency_set_status.

    Validates first (ValidationError names the field); audits in the same transaction.
    """
    creating = agency.pk is None
    agency.country_code = agency.country_code.upper()
    agency.full_clean(validate_unique=creating)
    with transaction.atomic():
        agency.save()
        audit.record(
            agency=agency,
            actor=actor,
            action=actions.AGENCY_CREATED if creating else actions.AGENCY_UPDATED,
            target=agency,
            details=(
                {"slug": agency.slug, "country_code": agency.country_code} if creating else {"changed": sorted(changed)}
            ),
        )
    return agency


def agency_set_status(*, agency: Agency, status: str, actor: Actor) -> Agency:
    if status not in AgencyStatus.values:
        raise ValueError(f"Unknown status {status!r}; choose one of {', '.join(AgencyStatus.values)}.")
    with transaction.atomic():
        previous = agency.status
        agency.status = status
        agency.save(update_fields=["status"])
        audit.record(
            agency=agency,
            actor=actor,
            action=actions.AGENCY_STATUS_CHANGED,
            target=agency,
            details={"from": previous, "to": status},
        )
    return agency


def membership_add(*, agency: Agency, user: User, role: str, actor: Actor) -> Membership:
    _check_role(role)
    with transaction.atomic():
        _lock_memberships_of(agency.pk)
        if Membership.objects.filter(agency=agency, user=user).exists():
            raise AlreadyMemberError("This person is already a member of the agency; change their role instead.")
        membership = Membership.objects.create(agency=agency, user=user, role=role)
        audit.record(
            agency=agency,
            actor=actor,
            action=actions.MEMBER_ADDED,
            target=membership,
            details={"user_id": user.pk, "role": role},
        )
    return membership


def membership_change_role(*, membership: Membership, role: str, actor: Actor) -> Membership:
    _check_role(role)
    with transaction.atomic():
        _lock_memberships_of(membership.agency_id)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        previous = membership.role
        if previous == Role.AGENCY_ADMIN and role != Role.AGENCY_ADMIN:
            _ensure_another_admin(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(
            agency=membership.agency,
            actor=actor,
            action=actions.MEMBER_ROLE_CHANGED,
            target=membership,
            details={"user_id": membership.user_id, "from": previous, "to": role},
        )
    return membership


def membership_remove(*, membership: Membership, actor: Actor) -> None:
    with transaction.atomic():
        _lock_memberships_of(membership.agency_id)
        # Re-read: the caller's copy may be stale (or edited in memory, e.g. by an admin form).
        membership = Membership.objects.select_related("agency").get(pk=membership.pk)
        if membership.role == Role.AGENCY_ADMIN:
            _ensure_another_admin(membership)
        agency, user_id, pk = membership.agency, membership.user_id, membership.pk
        membership.delete()
        audit.record(
            agency=agency,
            actor=actor,
            action=actions.MEMBER_REMOVED,
            target=("membership", pk),
            details={"user_id": user_id},
        )


def user_get_or_create(*, email: str) -> User:
    """The account for this e-mail; a new one gets an unusable password and sets it through password reset."""
    user_model = User
    email = user_model.objects.normalize_email(email).lower()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        user = user_model.objects.create_user(username=email, email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise MembershipError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")


def _lock_memberships_of(agency_id: int) -> None:
    """Serialise membership changes per agency on the agency row: two admins demoting or removing each other at
    the same moment would otherwise both see "another admin" and leave the agency with none."""
    Agency.objects.select_for_update().filter(pk=agency_id).values_list("pk", flat=True).first()


def _ensure_another_admin(membership: Membership) -> None:
    others = Membership.objects.filter(agency_id=membership.agency_id, role=Role.AGENCY_ADMIN).exclude(pk=membership.pk)
    if not others.exists():
        raise LastAdminError("An agency needs at least one agency admin: promote someone else first.")
