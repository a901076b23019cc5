from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from tenants.models import READ_ROLES, WORK_ROLES

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class HasAgencyRole(BasePermission):
    """The caller's role in the agency in scope must be allowed for this HTTP method (view.roles_by_method)."""

    message = "Your role in this agency does not allow this action. Ask your agency admin."

    def has_permission(self, request: Request, view: Any) -> bool:
        role = getattr(request, "role", None)
        if role is None:
            return False
        roles_by_method = getattr(view, "roles_by_method", None) or {}
        default = READ_ROLES if request.method in SAFE_METHODS else WORK_ROLES
        allowed = roles_by_method.get(request.method, default)
        return role in allowed
