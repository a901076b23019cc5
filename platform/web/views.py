from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tenants.decorators import role_required
from tenants.models import READ_ROLES
from tenants.selectors import memberships_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Go to the last workspace used, the only one, or let the user choose."""
    memberships = list(memberships_of(user=request.user))
    last = request.session.get("agency_slug")
    for membership in memberships:
        if membership.agency.slug == last:
            return redirect("web:workspace", agency_slug=last)
    if len(memberships) == 1:
        return redirect("web:workspace", agency_slug=memberships[0].agency.slug)
    return render(request, "web/choose_workspace.html", {"memberships": memberships})


@role_required(READ_ROLES)
def workspace(request: HttpRequest, agency_slug: str) -> HttpResponse:
    return render(request, "web/workspace.html")
