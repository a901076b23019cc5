"""Reads of the audit trail: filtered, keyset-paginated event lists, chain status, checkpoints, retention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, RetentionSettings
from tenants.models import Agency

MAX_PAGE = 200
DEFAULT_PAGE = 50


class FilterError(ValueError):
    """A filter value cannot be understood; the message says what to send instead."""


@dataclass(frozen=True)
class EventFilters:
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""

    def as_details(self) -> dict[str, Any]:
        """For the audit.exported event: the filters, without empty ones."""
        return {key: value for key, value in asdict(self).items() if value not in (None, "")}


def filters_from(params: Mapping[str, Any]) -> EventFilters:
    return EventFilters(
        since=_moment(params.get("since"), name="since", end_of_day=False),
        until=_moment(params.get("until"), name="until", end_of_day=True),
        actor=str(params.get("actor") or "").strip()[:200],
        action=str(params.get("action") or "").strip()[:64],
        target_type=str(params.get("target_type") or "").strip()[:64],
        target_id=str(params.get("target_id") or "").strip()[:64],
    )


def _moment(raw: Any, *, name: str, end_of_day: bool) -> dt.datetime | None:
    if not raw:
        return None
    text = str(raw).strip()
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise FilterError(
                _("%(name)s: use a date (2026-01-31) or a date and time (2026-01-31T14:00:00Z).") % {"name": name}
            )
        moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def events_filtered(*, filters: EventFilters) -> QuerySet[AuditEvent]:
    """Events of the agency in scope matching the filters (every filter is backed by an (agency, ..., seq) index)."""
    queryset: QuerySet[AuditEvent] = AuditEvent.objects.all()
    if filters.since is not None:
        queryset = queryset.filter(occurred_at__gte=filters.since)
    if filters.until is not None:
        queryset = queryset.filter(occurred_at__lte=filters.until)
    if filters.action:
        if filters.action.endswith("."):
            queryset = queryset.filter(action__startswith=filters.action)
        else:
            queryset = queryset.filter(action=filters.action)
    if filters.actor:
        kind, sep, ident = filters.actor.partition(":")
        if sep:
            queryset = queryset.filter(actor_kind=kind, actor_id=ident)
        else:
            queryset = queryset.filter(actor_label=filters.actor)
    if filters.target_type:
        queryset = queryset.filter(target_type=filters.target_type)
    if filters.target_id:
        queryset = queryset.filter(target_id=filters.target_id)
    return queryset


def events_page(
    *, filters: EventFilters, before: int | None = None, limit: int = DEFAULT_PAGE
) -> tuple[list[AuditEvent], int | None]:
    """Newest first; `before` is the cursor (a sequence number). Returns the page and the next cursor."""
    limit = max(1, min(limit, MAX_PAGE))
    queryset = events_filtered(filters=filters)
    if before is not None:
        queryset = queryset.filter(sequence__lt=before)
    rows = list(queryset.order_by("-sequence")[: limit + 1])
    next_cursor = rows[limit - 1].sequence if len(rows) > limit else None
    return rows[:limit], next_cursor


def events_export_rows(*, filters: EventFilters) -> Iterator[AuditEvent]:
    """Every matching event in chain order, fetched in keyset chunks (constant memory, any size)."""
    cursor = 0
    while True:
        chunk = list(events_filtered(filters=filters).filter(sequence__gt=cursor).order_by("sequence")[:2000])
        yield from chunk
        if len(chunk) < 2000:
            return
        cursor = chunk[-1].sequence


def event_as_dict(event: AuditEvent) -> dict[str, Any]:
    """Every hashed field plus the hash: an export row can be re-verified outside the platform."""
    from audit.canonical import format_time

    return {
        "sequence": event.sequence,
        "occurred_at": format_time(event.occurred_at),
        "actor": {"kind": event.actor_kind, "id": event.actor_id, "label": event.actor_label},
        "action": event.action,
        "target": {"type": event.target_type, "id": event.target_id},
        "ip": event.ip,
        "user_agent": event.user_agent,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def chain_head(*, agency: Agency) -> AuditChainHead | None:
    return AuditChainHead.objects.filter(agency=agency).first()


def checkpoint_latest(*, agency: Agency) -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.filter(agency=agency).order_by("-sequence", "-id").first()


def checkpoints_recent(*, agency: Agency, limit: int = 20) -> list[AuditCheckpoint]:
    return list(AuditCheckpoint.objects.filter(agency=agency).order_by("-sequence", "-id")[:limit])


def retention_settings(*, agency: Agency) -> RetentionSettings:
    """The agency's settings, or unsaved defaults when it never changed them."""
    found = RetentionSettings.objects.filter(agency=agency).first()
    return found if found is not None else RetentionSettings(agency=agency)


def job_for_receipt(*, job_id: int) -> Any:
    """A job of the agency in scope, with what its receipt needs. Another agency's job is a 404."""
    from jobs.models import Job  # local: jobs imports audit

    return get_object_or_404(Job.objects.select_related("document", "agency"), pk=job_id)


def action_names() -> list[str]:
    from audit.actions import ALL_ACTIONS

    return sorted(ALL_ACTIONS)
