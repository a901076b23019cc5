from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tenants.decorators import role_required
from tenants.models import READ_ROLES
from tenants.selectors import membership_for, memberships_of
from web.panels import workspace_panels


@login_required
@require_GET
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


@login_required
@require_http_methods(["GET", "POST"])
def switch_workspace(request: HttpRequest) -> HttpResponse:
    """The header's workspace switcher (a plain form, so it works without JavaScript)."""
    slug = str(request.POST.get("agency") or request.GET.get("agency") or "")
    if not slug:
        return redirect("web:home")  # nothing chosen: the home page lets the user choose
    if membership_for(user=request.user, agency_slug=slug) is None:
        # Same answer for unknown and foreign agencies: never reveal that an agency exists.
        raise Http404(_("No such workspace."))
    return redirect("web:workspace", agency_slug=slug)


@role_required(READ_ROLES)
@require_GET
def workspace(request: HttpRequest, agency_slug: str) -> HttpResponse:
    return render(request, "web/workspace.html", {"panels": workspace_panels(request)})
