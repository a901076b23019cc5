from __future__ import annotations

from django.db.models import QuerySet

from accounts.keys import key_parse, secret_matches
from accounts.models import ApiKey


def api_key_authenticate(*, raw: str) -> ApiKey | None:
    """The usable key for this plaintext, or None. Runs before any agency is known, hence unscoped."""
    parts = key_parse(raw)
    if parts is None:
        return None
    key = ApiKey.unscoped_objects.select_related("agency").filter(prefix=parts.prefix).first()
    if key is None or not secret_matches(parts.secret, key.secret_hash):
        return None
    return key


def api_keys_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("-created_at")
