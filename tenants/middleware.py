"""Scope for pages: every URL under /a/<agency_slug>/ runs inside its agency, for members only."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

from tenants.scope import agency_scope
from tenants.selectors import membership_for


class AgencyScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        slug = _agency_slug(request)
        if slug is None:
            return self.get_response(request)
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        membership = membership_for(user=request.user, agency_slug=slug)
        if membership is None:
            # Unknown agency and foreign agency look the same: never reveal that an agency exists.
            return _not_found(request)
        if not membership.agency.is_active:
            return render(request, "tenants/suspended.html", {"agency": membership.agency}, status=403)
        request.agency = membership.agency  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        request.session["agency_slug"] = slug
        with agency_scope(membership.agency):
            return self.get_response(request)


def _agency_slug(request: HttpRequest) -> str | None:
    if not request.path_info.startswith("/a/"):
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    slug = match.kwargs.get("agency_slug")
    return str(slug) if slug else None


def _not_found(request: HttpRequest) -> HttpResponse:
    from django.views.defaults import page_not_found

    return page_not_found(request, Http404("No such workspace."))
