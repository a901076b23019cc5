"""Scope for the API: every agency API view runs inside the agency of its API key or of the session's workspace."""

from __future__ import annotations

from contextvars import Token
from typing import Any

from rest_framework import exceptions, generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import ApiKey
from api.errors import ApiError
from api.permissions import HasAgencyRole
from audit.actors import Actor
from tenants.models import Agency
from tenants.scope import scope_enter, scope_exit
from tenants.selectors import membership_for, memberships_of


class AgencySuspendedError(ApiError):
    # An ApiError so the JSON body carries the code "agency_suspended", not the generic "forbidden".
    def __init__(self) -> None:
        super().__init__(
            status=403, code="agency_suspended", message="This agency is suspended. Contact the platform operator."
        )


class AgencyScopedAPIMixin:
    permission_classes: Any = [IsAuthenticated, HasAgencyRole]
    roles_by_method: dict[str, frozenset[str]] = {}
    _scope_token: Token[Agency | None] | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.perform_authentication(request)  # type: ignore[attr-defined]
        if request.user is not None and request.user.is_authenticated:
            agency, role = _agency_and_role(request)
            if not agency.is_active:
                raise AgencySuspendedError()
            request.agency = agency  # type: ignore[attr-defined]
            request.role = role  # type: ignore[attr-defined]
            key = request.auth if isinstance(request.auth, ApiKey) else None
            request.api_key = key  # type: ignore[attr-defined]
            request._request.api_key = key  # type: ignore[attr-defined]
            request.actor = Actor.from_request(request)  # type: ignore[attr-defined]
            self._scope_token = scope_enter(agency)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        finally:
            if self._scope_token is not None:
                scope_exit(self._scope_token)
                self._scope_token = None


def _agency_and_role(request: Request) -> tuple[Agency, str]:
    if isinstance(request.auth, ApiKey):
        return request.auth.agency, request.auth.role
    session_slug = request.session.get("agency_slug") if hasattr(request, "session") else None
    if session_slug:
        membership = membership_for(user=request.user, agency_slug=session_slug)
        if membership is None:
            # Never silently switch to another agency: the caller believes it works in this one.
            raise exceptions.NotFound(
                f"You are no longer a member of the workspace {session_slug!r}. Open one of your workspaces in "
                "the browser (workspace switcher) and try again."
            )
    else:
        membership = memberships_of(user=request.user).first()
    if membership is None:
        raise exceptions.NotFound("You are not a member of any agency. Ask an agency admin to add you.")
    return membership.agency, membership.role


class AgencyAPIView(AgencyScopedAPIMixin, APIView):
    pass


class AgencyGenericAPIView(AgencyScopedAPIMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    pass
