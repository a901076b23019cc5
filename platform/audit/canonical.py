"""Canonical serialisation and hashing of audit events, checkpoints and receipts.

docs/audit.md specifies these bytes exactly: third parties re-implement them to verify, so change nothing here
without bumping the format version.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
EVENT_FORMAT_VERSION = 1


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (not ASCII-escaped). Values: str, int, bool, None, lists, dicts."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def format_time(moment: datetime) -> str:
    """UTC, microsecond precision, 'Z' suffix: 2026-11-27T16:37:01.123456Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_document(
    *,
    agency_id: int,
    sequence: int,
    occurred_at: datetime,
    actor_kind: str,
    actor_id: str,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    ip: str | None,
    user_agent: str,
    details: dict[str, Any],
    prev_hash: str,
) -> dict[str, Any]:
    """The object whose canonical JSON is hashed. Every stored column except `hash` itself."""
    return {
        "v": EVENT_FORMAT_VERSION,
        "agency": agency_id,
        "sequence": sequence,
        "occurred_at": format_time(occurred_at),
        "actor": {"kind": actor_kind, "id": actor_id, "label": actor_label},
        "action": action,
        "target": {"type": target_type, "id": target_id},
        "ip": ip,
        "user_agent": user_agent,
        "details": details,
        "prev_hash": prev_hash,
    }


def event_hash(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()
