"""Retention: per-agency settings, and the purge of expired documents, results and audit events.

Purging old audit events keeps the chain verifiable: the last purged event becomes the chain's anchor
(AuditChainHead.base_sequence / base_hash), and a signed checkpoint written just before the purge vouches for it
(docs/audit.md, "Retention").
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

import audit
from audit import actions
from audit.actors import Actor
from audit.checkpoints import checkpoint_create
from audit.models import (
    MIN_AUDIT_RETENTION_DAYS,
    AuditChainHead,
    AuditEvent,
    RetentionSettings,
    purge_allowed,
)
from audit.selectors import retention_settings
from tenants.models import Agency
from tenants.scope import agency_scope

logger = logging.getLogger(__name__)
SYSTEM = Actor.system("retention")


class RetentionError(ValueError):
    """Retention settings out of bounds; the message says the allowed range."""


def retention_settings_update(
    *,
    agency: Agency,
    actor: Actor,
    document_retention_days: int,
    result_retention_days: int,
    audit_retention_days: int,
    legal_hold: bool,
    legal_hold_reference: str = "",
) -> RetentionSettings:
    if audit_retention_days < MIN_AUDIT_RETENTION_DAYS:
        raise RetentionError(
            f"Audit events must be kept at least {MIN_AUDIT_RETENTION_DAYS} days (six months); "
            f"you asked for {audit_retention_days}: set {MIN_AUDIT_RETENTION_DAYS} or more."
        )
    if document_retention_days < 1 or result_retention_days < 1:
        raise RetentionError("Documents and results are kept at least one day: set 1 or more days.")
    with transaction.atomic(), agency_scope(agency):
        current = RetentionSettings.objects.select_for_update().filter(agency=agency).first()
        settings = current or RetentionSettings(agency=agency)
        wanted = {
            "document_retention_days": document_retention_days,
            "result_retention_days": result_retention_days,
            "audit_retention_days": audit_retention_days,
            "legal_hold": legal_hold,
            "legal_hold_reference": legal_hold_reference.strip()[:100],
        }
        changed = {name: value for name, value in wanted.items() if getattr(settings, name) != value}
        if current is not None and not changed:
            return settings
        for name, value in wanted.items():
            setattr(settings, name, value)
        settings.save()
        audit.record(
            agency=agency,
            actor=actor,
            action=actions.RETENTION_CHANGED,
            target=("retention", str(agency.pk)),
            details={"changed": sorted(changed), **{k: v for k, v in changed.items() if k != "legal_hold_reference"}},
        )
        return settings


def retention_purge_run(*, agency: Agency, now: dt.datetime | None = None) -> dict[str, Any]:
    """The periodic purge of one agency. A legal hold suspends everything."""
    now = now or timezone.now()
    with agency_scope(agency):
        settings = retention_settings(agency=agency)
        if settings.legal_hold:
            logger.info("Retention purge skipped for %s: legal hold", agency.slug)
            return {"skipped": "legal_hold"}
        summary: dict[str, Any] = {}
        failure: Exception | None = None
        # Local import: the documents package imports audit, so a module-level import would be circular.
        from documents.services import documents_purge_expired

        try:
            summary["documents"] = documents_purge_expired(
                agency=agency,
                actor=SYSTEM,
                documents_before=now - dt.timedelta(days=settings.document_retention_days),
                results_before=now - dt.timedelta(days=settings.result_retention_days),
            )
        except Exception as exc:
            # The audit purge is independent: run it anyway, then let the task fail (and retry) loudly.
            logger.exception("Document retention purge failed for %s", agency.slug)
            failure = exc
        summary["audit_events"] = audit_events_purge(
            agency=agency, before=now - dt.timedelta(days=settings.audit_retention_days), now=now
        )
    if failure is not None:
        raise failure
    return summary


def audit_events_purge(*, agency: Agency, before: dt.datetime, now: dt.datetime | None = None) -> int:
    """Delete the prefix of the chain older than `before` (never younger than six months). Returns the count."""
    now = now or timezone.now()
    before = min(before, now - dt.timedelta(days=MIN_AUDIT_RETENTION_DAYS))
    with agency_scope(agency):
        # Sign the head first: the checkpoint vouches for the anchor the purge leaves behind. It also refuses a
        # broken chain (ChainBroken), so evidence of tampering is never purged.
        checkpoint = checkpoint_create(agency=agency)
        with transaction.atomic():
            head = AuditChainHead.objects.select_for_update().filter(agency=agency).first()
            if head is None:
                return 0
            through = _purgeable_through(head, before)
            if through <= head.base_sequence:
                return 0
            anchor = AuditEvent.objects.values("hash").get(sequence=through)["hash"]
            count = AuditEvent.objects.filter(sequence__gt=head.base_sequence, sequence__lte=through).count()
            audit.record(
                agency=agency,
                actor=SYSTEM,
                action=actions.RETENTION_PURGED,
                target=("audit_chain", str(agency.pk)),
                details={
                    "scope": "audit_events",
                    "from_sequence": head.base_sequence + 1,
                    "through_sequence": through,
                    "count": count,
                    "anchor_hash": anchor,
                    "checkpoint_sequence": checkpoint.sequence if checkpoint else None,
                    "before": before,
                },
            )
            AuditChainHead.objects.filter(agency=agency).update(base_sequence=through, base_hash=anchor)
            _delete_prefix(agency, through)
    return count


def _purgeable_through(head: AuditChainHead, before: dt.datetime) -> int:
    """The last sequence of the longest prefix whose events are all older than `before`."""
    first_young = (
        AuditEvent.objects.filter(occurred_at__gte=before).order_by("sequence").values_list("sequence", flat=True)
    ).first()
    return head.sequence if first_young is None else int(first_young) - 1


def _delete_prefix(agency: Agency, through: int) -> None:
    if connection.vendor == "postgresql":
        # The trigger lets only this SECURITY DEFINER function delete, and only events older than six months.
        with connection.cursor() as cursor:
            cursor.execute("SELECT audit_purge_prefix(%s, %s)", [agency.pk, through])
        return
    with purge_allowed():
        AuditEvent.objects.filter(sequence__lte=through).delete()
