from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.scope import CrossAgencyWrite, NoAgencyInScope, current_agency_or_none, sees_all_agencies


class AgencyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    MEMBER = "member", _("Member")
    AUDITOR = "auditor", _("Auditor")
    AGENCY_ADMIN = "agency_admin", _("Agency admin")


# What each role may do; views and API permissions ask these sets, never role names directly.
READ_ROLES = frozenset({Role.VIEWER, Role.MEMBER, Role.AUDITOR, Role.AGENCY_ADMIN})
WORK_ROLES = frozenset({Role.MEMBER, Role.AGENCY_ADMIN})
AUDIT_ROLES = frozenset({Role.AUDITOR, Role.AGENCY_ADMIN})
ADMIN_ROLES = frozenset({Role.AGENCY_ADMIN})


class Agency(models.Model):
    slug = models.SlugField(
        max_length=50,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9-]*$", _("Use lowercase letters, digits and hyphens."))],
    )
    name = models.CharField(max_length=200)
    country_code = models.CharField(max_length=2, default="FR", help_text=_("ISO 3166-1 alpha-2"))
    status = models.CharField(max_length=16, choices=AgencyStatus.choices, default=AgencyStatus.ACTIVE)
    upload_limit_mb = models.PositiveIntegerField(default=settings.TRAMONTANE_DEFAULT_UPLOAD_LIMIT_MB)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_active(self) -> bool:
        return self.status == AgencyStatus.ACTIVE


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="uniq_membership")]
        ordering = ["agency__name"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency.slug} ({self.role})"


class AgencyScopedManager(models.Manager[Any]):
    """Filters by the agency in scope; raises when there is none (fails closed)."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return self.scoped(super().get_queryset())

    def scoped(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """Narrow `queryset` to the agency in scope (subclasses with their own queryset class reuse this)."""
        if sees_all_agencies():
            return queryset
        agency = current_agency_or_none()
        if agency is None:
            raise NoAgencyInScope(
                f"{self.model.__name__}.objects needs an agency in scope; "
                f"use tenants.scope.agency_scope() or, for operator code, {self.model.__name__}.unscoped_objects."
            )
        return queryset.filter(agency_id=agency.pk)


class AgencyOwnedModel(models.Model):
    """Base of every tenant-owned model."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")

    objects: ClassVar[AgencyScopedManager] = AgencyScopedManager()
    # Escape hatch: explicit and greppable. Authentication lookups, operator admin and system scans only.
    unscoped_objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        agency = current_agency_or_none()
        if agency is not None:
            if self.agency_id is None:
                self.agency_id = agency.pk
            elif self.agency_id != agency.pk:
                raise CrossAgencyWrite(
                    f"Refusing to save {type(self).__name__} of agency {self.agency_id} "
                    f"while agency {agency.pk} is in scope."
                )
        elif not sees_all_agencies():
            raise NoAgencyInScope(
                f"Saving {type(self).__name__} needs an agency in scope: wrap the write in "
                "tenants.scope.agency_scope(agency)."
            )
        super().save(*args, **kwargs)
