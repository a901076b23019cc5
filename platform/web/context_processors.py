from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenants.models import ADMIN_ROLES, AUDIT_ROLES, WORK_ROLES
from tenants.selectors import memberships_of


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The current workspace and the user's other workspaces, for the header and navigation."""
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    role = membership.role if membership else None
    return {
        "current_agency": getattr(request, "agency", None),
        "current_membership": membership,
        "can_work": role in WORK_ROLES,
        "can_audit": role in AUDIT_ROLES,
        "can_admin": role in ADMIN_ROLES,
        "my_memberships": list(memberships_of(user=user)) if user is not None else [],
    }
