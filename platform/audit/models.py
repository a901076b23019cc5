"""The audit chain: append-only events, the per-agency chain head, signed checkpoints, retention settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import AgencyOwnedModel, AgencyScopedManager

# The only code allowed to delete events: the retention purge of an expired prefix (see audit.retention).
_purging: ContextVar[bool] = ContextVar("tramontane_audit_purging", default=False)

MIN_AUDIT_RETENTION_DAYS = 183  # six months: EU AI Act Art. 19/26 record keeping


class AppendOnlyError(RuntimeError):
    """An audit row was about to be changed or deleted. The trail is append-only."""


@contextmanager
def purge_allowed() -> Iterator[None]:
    token = _purging.set(True)
    try:
        yield
    finally:
        _purging.reset(token)


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: update() is refused.")

    def delete(self) -> tuple[int, dict[str, int]]:
        if _purging.get():
            return super().delete()
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: delete() is refused.")


class AppendOnlyScopedManager(AgencyScopedManager):
    def get_queryset(self) -> models.QuerySet[Any]:
        return self.scoped(AppendOnlyQuerySet(self.model, using=self._db))


class AppendOnlyModel(AgencyOwnedModel):
    objects: ClassVar[AppendOnlyScopedManager] = AppendOnlyScopedManager()
    unscoped_objects: ClassVar[models.Manager[Any]] = models.Manager.from_queryset(AppendOnlyQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only: updates are refused.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only: delete() is refused.")


class AuditEvent(AppendOnlyModel):
    sequence = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # Text, not inet: the hash covers the exact string, which an inet column could re-format.
    ip = models.CharField(max_length=45, null=True, blank=True)  # noqa: DJ001 - null (no client) is hashed as null
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]
        constraints = [models.UniqueConstraint(fields=["agency", "sequence"], name="uniq_audit_sequence")]
        # Keyset pagination (agency, [filter], sequence) stays an index range scan at any depth.
        indexes = [
            models.Index(fields=["agency", "action", "sequence"], name="audit_ev_action_seq"),
            models.Index(fields=["agency", "target_type", "target_id", "sequence"], name="audit_ev_target_seq"),
            models.Index(fields=["agency", "actor_kind", "actor_id", "sequence"], name="audit_ev_actor_seq"),
            models.Index(fields=["agency", "actor_label", "sequence"], name="audit_ev_label_seq"),
            models.Index(fields=["agency", "occurred_at"], name="audit_ev_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"


class AuditChainHead(AgencyOwnedModel):
    """One row per agency: locked FOR UPDATE by every writer so the chain never forks.

    `base_*` is the anchor left by a retention purge: the last purged event. Verification starts there.
    """

    agency = models.OneToOneField("tenants.Agency", on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64)
    base_sequence = models.PositiveBigIntegerField(default=0)
    base_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.sequence}"


class AuditCheckpoint(AppendOnlyModel):
    """A signed statement (agency, sequence, head hash, time). `statement` is the exact signed JSON."""

    sequence = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    statement = models.TextField()
    signature = models.CharField(max_length=200)

    class Meta:
        ordering = ["sequence", "id"]
        indexes = [models.Index(fields=["agency", "sequence"], name="audit_cp_seq")]

    def __str__(self) -> str:
        return f"checkpoint #{self.sequence}"


class RetentionSettings(AgencyOwnedModel):
    """How long an agency keeps documents, results and audit events; a legal hold suspends every purge."""

    agency = models.OneToOneField("tenants.Agency", on_delete=models.CASCADE, related_name="+")
    document_retention_days = models.PositiveIntegerField(
        _("document retention (days)"), default=90, validators=[MinValueValidator(1)]
    )
    result_retention_days = models.PositiveIntegerField(
        _("result retention (days)"), default=90, validators=[MinValueValidator(1)]
    )
    audit_retention_days = models.PositiveIntegerField(
        _("audit retention (days)"),
        default=365,
        validators=[MinValueValidator(MIN_AUDIT_RETENTION_DAYS)],
        help_text=_("At least 183 days (six months)."),
    )
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    legal_hold_reference = models.CharField(_("legal hold reference"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audit_retention_days__gte=MIN_AUDIT_RETENTION_DAYS),
                name="audit_retention_min_six_months",
            )
        ]

    def __str__(self) -> str:
        return f"retention of agency {self.agency_id}"
