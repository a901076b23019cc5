"""Typed access to what the scope middleware and the API base view attach to a request."""

from __future__ import annotations

from typing import Any

from audit.actors import Actor
from tenants.models import Agency


def ctx_agency(request: Any) -> Agency:
    agency: Agency = request.agency
    return agency


def ctx_actor(request: Any) -> Actor:
    actor: Actor = getattr(request, "actor", None) or Actor.from_request(request)
    return actor


def ctx_role(request: Any) -> str:
    role = getattr(request, "role", None)
    if role is None:
        role = request.membership.role
    return str(role)
