from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from accounts.keys import key_parse, secret_matches
from accounts.models import ApiKey, LoginFailure


def api_key_authenticate(*, raw: str) -> ApiKey | None:
    """The usable key for this plaintext, or None. Runs before any agency is known, hence unscoped."""
    parts = key_parse(raw)
    if parts is None:
        return None
    key: ApiKey | None = ApiKey.unscoped_objects.select_related("agency").filter(prefix=parts.prefix).first()
    if key is None or not secret_matches(parts.secret, key.secret_hash):
        return None
    return key


def api_keys_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("-created_at")


def api_key_get(*, key_id: int) -> ApiKey:
    """A key of the agency in scope; another agency's key raises ApiKey.DoesNotExist (a 404 to the caller)."""
    key: ApiKey = ApiKey.objects.select_related("agency", "created_by").get(pk=key_id)
    return key


def user_for_login(*, identifier: str) -> User | None:
    """The account a login form names, by username or else by e-mail (only when the e-mail is unambiguous)."""
    identifier = identifier.strip()
    if not identifier:
        return None
    user = User.objects.filter(username=identifier).first()
    if user is not None or "@" not in identifier:
        return user
    matches = list(User.objects.filter(email__iexact=identifier)[:2])
    return matches[0] if len(matches) == 1 else None


def login_retry_after(*, username: str, ip: str | None) -> int | None:
    """Seconds until this username and this client IP may try to log in again; None when not throttled."""
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    since = timezone.now() - window
    recent = LoginFailure.objects.filter(occurred_at__gte=since)
    waits = [
        _wait(recent.filter(username=throttle_username(username)), settings.LOGIN_FAILURE_LIMIT, window),
    ]
    if ip:
        waits.append(_wait(recent.filter(ip=ip), settings.LOGIN_FAILURE_IP_LIMIT, window))
    longest = max((wait for wait in waits if wait is not None), default=None)
    return longest


def throttle_username(username: str) -> str:
    # Case and spaces must not buy extra attempts: "Alice" and " alice" count as one name.
    return username.strip().lower()[:150]


def _wait(failures: QuerySet[LoginFailure], limit: int, window: timedelta) -> int | None:
    count = failures.count()
    if count < limit:
        return None
    # The oldest failures leave the window first; the attempt count drops below the limit when this one does.
    pivot = failures.order_by("occurred_at").values_list("occurred_at", flat=True)[count - limit]
    seconds = (pivot + window - timezone.now()).total_seconds()
    return max(1, math.ceil(seconds))
