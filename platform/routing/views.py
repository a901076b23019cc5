"""Console page: view and edit the agency's residency policy."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.actors import Actor
from routing.forms import PolicyForm
from routing.policy import PolicyInvalid
from routing.selectors import endpoints_for_policy, policy_current, policy_versions
from routing.services import policy_update
from tenants.decorators import role_required
from tenants.models import ADMIN_ROLES, READ_ROLES


@role_required(READ_ROLES)
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest, agency_slug: str) -> HttpResponse:
    agency = request.agency  # type: ignore[attr-defined]
    can_edit = request.membership.role in ADMIN_ROLES  # type: ignore[attr-defined]
    current = policy_current(agency=agency)
    if request.method == "POST":
        if not can_edit:
            return render(request, "routing/policy.html", _context(agency, current, None, False), status=403)
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                saved = policy_update(
                    agency=agency,
                    actor=Actor.from_request(request),
                    default_classification=form.cleaned_data["default_classification"],
                    rules=form.rules(),
                )
            except PolicyInvalid as exc:
                for path, message in exc.errors.items():
                    form.add_error(None, f"{path}: {message}")
            else:
                messages.success(request, _("Policy saved as version %(version)s.") % {"version": saved.version})
                return redirect("routing_console:policy", agency_slug=agency_slug)
        return render(request, "routing/policy.html", _context(agency, current, form, can_edit), status=400)
    form = PolicyForm(initial=PolicyForm.initial_from(current.default_classification, current.rules))
    return render(request, "routing/policy.html", _context(agency, current, form, can_edit))


def _context(agency: object, current: object, form: PolicyForm | None, can_edit: bool) -> dict[str, object]:
    return {
        "policy": current,
        "form": form,
        "can_edit": can_edit,
        "endpoints": endpoints_for_policy(),
        "versions": list(policy_versions(agency=agency)[:20]),  # type: ignore[arg-type]
    }
