from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

import audit
from accounts.keys import key_generate, secret_hash
from accounts.models import ApiKey
from audit import actions
from audit.actors import Actor
from tenants.models import Agency, Role
from tenants.scope import agency_scope


def api_key_create(
    *,
    agency: Agency,
    actor: Actor,
    name: str,
    role: str = Role.MEMBER,
    expires_at: datetime | None = None,
    created_by: Any = None,
) -> tuple[ApiKey, str]:
    """Create a key; return it with its plaintext, which is never stored and cannot be shown again."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    plaintext, parts = key_generate()
    with transaction.atomic(), agency_scope(agency):
        key = ApiKey.objects.create(
            agency=agency,
            name=name,
            role=role,
            prefix=parts.prefix,
            secret_hash=secret_hash(parts.secret),
            expires_at=expires_at,
            created_by=created_by,
        )
        audit.record(
            agency=agency,
            actor=actor,
            action=actions.APIKEY_CREATED,
            target=key,
            details={"prefix": key.prefix, "role": role, "expires_at": expires_at.isoformat() if expires_at else None},
        )
    return key, plaintext


def api_key_revoke(*, key: ApiKey, actor: Actor) -> ApiKey:
    with transaction.atomic(), agency_scope(key.agency):
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit.record(
                agency=key.agency,
                actor=actor,
                action=actions.APIKEY_REVOKED,
                target=key,
                details={"prefix": key.prefix},
            )
    return key


def api_key_touch(*, key: ApiKey) -> None:
    """Record last use, at most once a minute per key to spare the database on busy keys."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.unscoped_objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
