"""What audit details may hold: ids, digests, enums, numbers and short names. Never document text.

The log outlives the documents (GDPR minimisation, and it is exported to third parties), so free text is refused
at the door instead of being filtered later.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from enum import Enum
from typing import Any

MAX_STRING = 128
MAX_WORDS = 12
MAX_ITEMS = 100
MAX_DIGEST_ITEMS = 1000  # a retention purge lists the SHA-256 of every document it erased
MAX_DEPTH = 3
MAX_TOTAL_BYTES = 160 * 1024

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
# Keys that can only ever carry content. A digest of it goes under e.g. "prompt_sha256" instead.
FORBIDDEN_KEYS = frozenset(
    {
        "text",
        "content",
        "contents",
        "body",
        "prompt",
        "prompts",
        "output",
        "outputs",
        "completion",
        "messages",
        "excerpt",
        "snippet",
        "summary",
        "translation",
        "document_text",
    }
)


class AuditDetailsError(ValueError):
    """Details of an audit event hold something that is not an id, digest, enum, number or short name."""


def clean_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """Validate and normalise details to JSON types whose hash survives a database round trip."""
    if details is None:
        return {}
    if not isinstance(details, dict):
        raise AuditDetailsError("Audit details must be a dict of ids, digests, enums, numbers and short names.")
    cleaned = _clean_dict(details, path="details", depth=1)
    from audit.canonical import canonical_json

    if len(canonical_json(cleaned)) > MAX_TOTAL_BYTES:
        raise AuditDetailsError(
            f"Audit details exceed {MAX_TOTAL_BYTES} bytes: keep ids and digests only, not lists of content."
        )
    return cleaned


def _clean_dict(value: dict[Any, Any], *, path: str, depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise AuditDetailsError(f"{path}: nested deeper than {MAX_DEPTH} levels; flatten the details.")
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise AuditDetailsError(f"{path}: key {str(key)[:40]!r} must be snake_case ASCII, at most 64 characters.")
        if key in FORBIDDEN_KEYS:
            raise AuditDetailsError(
                f"{path}.{key}: audit details never hold document text, prompts or outputs; "
                f"record a SHA-256 digest instead (e.g. '{key}_sha256')."
            )
        cleaned[key] = _clean_value(item, path=f"{path}.{key}", depth=depth)
    return cleaned


def _clean_value(value: Any, *, path: str, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float | Decimal):
        # Floats do not survive every JSON round trip bit for bit (1e20 comes back as an int from jsonb):
        # store their decimal text so the hash stays verifiable.
        return _clean_string(str(value), path=path)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        from audit.canonical import format_time

        return format_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _clean_string(value, path=path)
    if isinstance(value, dict):
        return _clean_dict(value, path=path, depth=depth + 1)
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        digests = all(isinstance(item, str) and _DIGEST.match(item) for item in items)
        if len(items) > (MAX_DIGEST_ITEMS if digests else MAX_ITEMS):
            raise AuditDetailsError(
                f"{path}: too many items (at most {MAX_ITEMS}, or {MAX_DIGEST_ITEMS} SHA-256 digests); "
                "record a count and a digest of the list instead, or split into several events."
            )
        return [_clean_value(item, path=f"{path}[{index}]", depth=depth + 1) for index, item in enumerate(items)]
    raise AuditDetailsError(
        f"{path}: {type(value).__name__} is not allowed; pass ids, digests, enums, numbers or short names."
    )


def _clean_string(value: str, *, path: str) -> str:
    if len(value) > MAX_STRING:
        raise AuditDetailsError(
            f"{path}: {len(value)} characters is too long for an audit detail (max {MAX_STRING}); "
            "audit details never hold document text: record its SHA-256 digest instead."
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise AuditDetailsError(f"{path}: control characters or line breaks are not allowed in audit details.")
    if len(value.split()) > MAX_WORDS:
        raise AuditDetailsError(
            f"{path}: looks like free text ({MAX_WORDS}+ words); audit details hold ids, digests and short "
            "names only: record a SHA-256 digest instead."
        )
    return value
