"""Who did something: a user, an API key, the platform operator, or the system (a worker, a periodic job)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "api_key" | "operator" | "system" | "anonymous"
    id: str
    label: str
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def user(cls, user: Any, *, ip: str | None = None, user_agent: str | None = None) -> Actor:
        return cls("user", str(user.pk), user.get_username(), ip, user_agent)

    @classmethod
    def api_key(cls, key: Any, *, ip: str | None = None, user_agent: str | None = None) -> Actor:
        return cls("api_key", str(key.pk), f"{key.name} ({key.prefix})", ip, user_agent)

    @classmethod
    def operator(cls, user: Any) -> Actor:
        return cls("operator", str(user.pk), user.get_username())

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls("system", name, name)

    @classmethod
    def anonymous(cls, label: str, *, ip: str | None = None, user_agent: str | None = None) -> Actor:
        return cls("anonymous", "", label, ip, user_agent)

    @classmethod
    def from_request(cls, request: Any) -> Actor:
        ip = client_ip(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:300] or None
        key = getattr(request, "api_key", None)
        if key is not None:
            return cls.api_key(key, ip=ip, user_agent=user_agent)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return cls.user(user, ip=ip, user_agent=user_agent)
        return cls.anonymous("anonymous", ip=ip, user_agent=user_agent)


def client_ip(request: Any) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    value = request.META.get("REMOTE_ADDR")
    return str(value) if value else None
