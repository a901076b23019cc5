"""Writes to the audit chain. `event_record` is the single writer; `audit.record` delegates to it."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.actions import ALL_ACTIONS
from audit.actors import Actor
from audit.canonical import GENESIS_HASH, event_document, event_hash
from audit.details import clean_details
from audit.models import AuditChainHead, AuditEvent
from tenants.models import Agency
from tenants.scope import agency_scope

Target = Any  # a model instance, a (type, id) pair, or None


class AuditActionError(ValueError):
    """An action name that is not one of audit.actions."""


class AuditTargetError(ValueError):
    """The target of an audit event is neither a saved model instance, a (type, id) pair, nor None."""


def event_record(
    *,
    agency: Agency,
    actor: Actor,
    action: str,
    target: Target = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the agency's chain, inside the caller's transaction (a rollback removes it too)."""
    target_type, target_id = _target_parts(target)
    cleaned = clean_details(details)
    if action not in ALL_ACTIONS:
        raise AuditActionError(f"Unknown audit action {action!r}: use a constant of audit.actions (add it there).")
    with transaction.atomic(), agency_scope(agency):
        head = _locked_head(agency)
        sequence = head.sequence + 1
        fields: dict[str, Any] = {
            "agency_id": agency.pk,
            "sequence": sequence,
            "occurred_at": _now(),
            "actor_kind": actor.kind[:16],
            "actor_id": actor.id[:64],
            "actor_label": actor.label[:200],
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "ip": _clean_ip(actor.ip),
            "user_agent": (actor.user_agent or "")[:300],
            "details": cleaned,
            "prev_hash": head.head_hash,
        }
        digest = event_hash(event_document(**fields))
        event = AuditEvent(hash=digest, **fields)
        event.save()
        head.sequence = sequence
        head.head_hash = digest
        head.save(update_fields=["sequence", "head_hash"])
        return event


def _locked_head(agency: Agency) -> AuditChainHead:
    """The agency's chain head, row-locked until the transaction ends (writers queue here, so no fork).

    On SQLite select_for_update is a no-op, but transactions there take the database write lock up front
    (transaction_mode IMMEDIATE in settings), which serialises writers just as well.
    """
    head = AuditChainHead.objects.select_for_update().filter(agency=agency).first()
    if head is None:
        # First event of this agency: create the head without racing a concurrent first writer.
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(agency=agency, sequence=0, head_hash=GENESIS_HASH, base_hash=GENESIS_HASH)],
            ignore_conflicts=True,
        )
        head = AuditChainHead.objects.select_for_update().get(agency=agency)
    assert isinstance(head, AuditChainHead)
    return head


def _now() -> datetime:
    return timezone.now()


def _clean_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _target_parts(target: Target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        if len(target) != 2:
            raise AuditTargetError("An audit target tuple must be (type, id).")
        return str(target[0])[:64], str(target[1])[:64]
    pk = getattr(target, "pk", None)
    if pk is None:
        raise AuditTargetError(
            f"Audit target {type(target).__name__} has no primary key: save it before recording the event."
        )
    return type(target).__name__.lower()[:64], str(pk)[:64]


def export_record(*, agency: Agency, actor: Actor, export_format: str, filters: dict[str, Any]) -> int:
    """Audit an export before it streams; returns the last sequence it covers (events up to the export itself)."""
    from audit import actions

    event = event_record(
        agency=agency,
        actor=actor,
        action=actions.AUDIT_EXPORTED,
        target=("audit_chain", str(agency.pk)),
        details={"format": export_format, "filters": filters},
    )
    return event.sequence
