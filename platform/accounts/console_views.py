"""The agency console: members and API keys. Every lookup goes through the agency in scope (others' rows 404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import ApiKeyCreateForm, MemberAddForm, MemberRoleForm
from accounts.links import set_password_url_builder
from accounts.models import ApiKey
from accounts.selectors import api_key_get, api_keys_list
from accounts.services import api_key_create, api_key_revoke, member_invite
from audit.actors import Actor
from tenants.decorators import role_required
from tenants.models import ADMIN_ROLES, READ_ROLES, Agency, Membership
from tenants.selectors import members_of
from tenants.services import (
    AlreadyMemberError,
    LastAdminError,
    MembershipError,
    membership_change_role,
    membership_remove,
)


@dataclass(frozen=True)
class ConsoleLink:
    title: str
    description: str
    url: str


# Console sections: (url name, title, description). A section shows when its page exists (other packages may not
# have it yet) and the viewer's role may open it (read from the view's role_required): no drift from the views.
_SECTIONS = [
    (
        "accounts_console:members",
        gettext_lazy("Members"),
        gettext_lazy("Who belongs to the agency and with which role."),
    ),
    (
        "accounts_console:keys",
        gettext_lazy("API keys"),
        gettext_lazy("Keys that let other systems use Tramontane for the agency."),
    ),
    (
        "routing_console:policy",
        gettext_lazy("Residency policy"),
        gettext_lazy("Which model endpoints may process each classification level."),
    ),
    ("jobs_console:webhooks", gettext_lazy("Webhooks"), gettext_lazy("Where job results are announced.")),
    ("jobs_console:usage", gettext_lazy("Usage"), gettext_lazy("Jobs, tokens and pages processed by the agency.")),
    ("jobs_console:glossary", gettext_lazy("Glossary"), gettext_lazy("Terms that translations must keep.")),
    (
        "audit_console:events",
        gettext_lazy("Audit trail"),
        gettext_lazy("Who did what and when, in a tamper-evident log."),
    ),
]


def _agency(request: HttpRequest) -> Agency:
    return request.agency  # type: ignore[attr-defined,no-any-return]


def _section_url(name: str, slug: str, role: str) -> str | None:
    """The section's URL if it exists and this role may open it, else None."""
    try:
        url = reverse(name, kwargs={"agency_slug": slug})
    except NoReverseMatch:
        return None  # that package has no such page (yet)
    allowed = getattr(resolve(url).func, "allowed_roles", None)
    return url if allowed is None or role in allowed else None


@role_required(READ_ROLES)
@require_GET
def console_home(request: HttpRequest, agency_slug: str) -> HttpResponse:
    role = request.membership.role  # type: ignore[attr-defined]
    links: list[ConsoleLink] = []
    for name, title, description in _SECTIONS:
        url = _section_url(name, agency_slug, role)
        if url is not None:
            links.append(ConsoleLink(str(title), str(description), url))
    return render(request, "accounts/console_home.html", {"links": links})


# Members -----------------------------------------------------------------------------------------------------


def _membership(request: HttpRequest, user_id: int) -> Membership:
    membership = members_of(agency=_agency(request)).filter(user_id=user_id).first()
    if membership is None:
        raise Http404(_("No such member in this agency."))
    return membership


@role_required(ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, agency_slug: str) -> HttpResponse:
    form = MemberAddForm(request.POST) if request.method == "POST" else MemberAddForm()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = member_invite(
                    agency=_agency(request),
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    actor=Actor.from_request(request),
                    set_password_url=set_password_url_builder(request),
                )
            except MembershipError as exc:
                form.add_error("email", _translated_membership_error(exc))
            else:
                email = invitation.membership.user.email
                if invitation.email_sent:
                    messages.success(
                        request,
                        _("%(email)s was added. An e-mail with a link to set a password was sent.") % {"email": email},
                    )
                else:
                    messages.success(request, _("%(email)s was added.") % {"email": email})
                return redirect("accounts_console:members", agency_slug=agency_slug)
        status = 400
    context = {
        "form": form,
        "members": members_of(agency=_agency(request)),
        "role_form": MemberRoleForm(),
    }
    return render(request, "accounts/members.html", context, status=status)


@role_required(ADMIN_ROLES)
@require_POST
def member_role(request: HttpRequest, agency_slug: str, user_id: int) -> HttpResponse:
    membership = _membership(request, user_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the listed roles."))
        return redirect("accounts_console:members", agency_slug=agency_slug)
    try:
        membership = membership_change_role(
            membership=membership, role=form.cleaned_data["role"], actor=Actor.from_request(request)
        )
    except MembershipError as exc:
        messages.error(request, _translated_membership_error(exc))
    else:
        messages.success(
            request,
            _("%(user)s is now %(role)s.") % {"user": _person(membership), "role": membership.get_role_display()},
        )
    return redirect("accounts_console:members", agency_slug=agency_slug)


@role_required(ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, agency_slug: str, user_id: int) -> HttpResponse:
    membership = _membership(request, user_id)
    if request.method == "POST":
        try:
            membership_remove(membership=membership, actor=Actor.from_request(request))
        except MembershipError as exc:
            messages.error(request, _translated_membership_error(exc))
        else:
            messages.success(request, _("%(user)s was removed from the agency.") % {"user": _person(membership)})
        return redirect("accounts_console:members", agency_slug=agency_slug)
    return render(request, "accounts/member_remove.html", {"membership": membership})


def _person(membership: Membership) -> str:
    return membership.user.email or membership.user.get_username()


def _translated_membership_error(exc: MembershipError) -> str:
    if isinstance(exc, LastAdminError):
        return _("An agency needs at least one agency admin: promote someone else first.")
    if isinstance(exc, AlreadyMemberError):
        return _("This person is already a member of the agency; change their role instead.")
    return str(exc)


# API keys ----------------------------------------------------------------------------------------------------


@role_required(ADMIN_ROLES)
@require_GET
def keys(request: HttpRequest, agency_slug: str) -> HttpResponse:
    return render(request, "accounts/keys.html", {"keys": api_keys_list()})


@role_required(ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
@never_cache
def key_create(request: HttpRequest, agency_slug: str) -> HttpResponse:
    form = ApiKeyCreateForm(request.POST) if request.method == "POST" else ApiKeyCreateForm()
    if request.method == "POST" and form.is_valid():
        key, plaintext = api_key_create(
            agency=_agency(request),
            actor=Actor.from_request(request),
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            expires_at=form.cleaned_data["valid_until"],
            created_by=request.user,
        )
        # Rendered straight from the POST, never stored: this response is the only place the key ever appears.
        return render(request, "accounts/key_created.html", {"key": key, "plaintext": plaintext})
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/key_new.html", {"form": form}, status=status)


@role_required(ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def key_revoke(request: HttpRequest, agency_slug: str, key_id: int) -> HttpResponse:
    try:
        key = api_key_get(key_id=key_id)
    except ApiKey.DoesNotExist as exc:
        raise Http404(_("No such API key in this agency.")) from exc
    if request.method == "POST":
        if key.revoked_at is None:
            api_key_revoke(key=key, actor=Actor.from_request(request))
            messages.success(request, _("The key %(prefix)s is revoked.") % {"prefix": key.prefix})
        else:
            messages.info(request, _("The key %(prefix)s was already revoked.") % {"prefix": key.prefix})
        return redirect("accounts_console:keys", agency_slug=agency_slug)
    return render(request, "accounts/key_revoke.html", {"key": key})
