"""Role checks for pages. The agency scope itself is set by AgencyScopeMiddleware."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def role_required(
    roles: Iterable[str],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    allowed = frozenset(roles)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None:
                # Only reachable when a view is mounted outside /a/<agency_slug>/: a wiring bug, fail closed.
                raise PermissionDenied("No agency workspace.")
            if membership.role not in allowed:
                raise PermissionDenied("Your role in this agency does not allow this page. Ask your agency admin.")
            return view(request, *args, **kwargs)

        # Lets navigation (e.g. the console home) show a link only to roles that may open it.
        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapped

    return decorator
