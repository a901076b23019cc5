"""The audit trail. Every caller goes through `audit.record(...)` so the chain has a single writer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.models import AuditEvent


def record(**kwargs: Any) -> AuditEvent:
    """Record an audit event inside the caller's transaction. See audit.services.event_record."""
    from audit.services import event_record

    return event_record(**kwargs)
