"""THE ISOLATION MATRIX: every URL route of the project, checked for tenant isolation and roles.

Every route in the URLconf must have an entry in MATRIX below (or be in ALLOWLIST, with a reason); otherwise the
suite fails naming the route and the entry to add, so no endpoint ships untested.

An entry says, per HTTP method, which roles may use the route, and which object kind each URL id points at.
From that, for every route:
  * cross-agency objects: agency A's admin (session, and API key for /api/v1/) on agency B's object -> 404, and
    agency B's rows are unchanged (snapshot before/after);
  * foreign workspace: A's admin on /a/<B's slug>/... -> 404; an outsider (no membership) -> 404; anonymous ->
    redirect to login (pages) or 401 (API);
  * roles: every role not allowed for a method -> 403 and agency A's rows unchanged; allowed roles are not refused;
  * ids in request bodies (refs=): B's ids are refused and change nothing, while A's own ids are accepted;
  * declared methods: the methods a route answers (anything but 405) are exactly the declared ones;
  * a suspended agency is refused (403) on every route; /api/v1/ views derive from the one scoping base class;
  * leaks: no GET response to A ever contains B's markers (slug, e-mails, names, titles, terms, digests, audit
    hashes), and list endpoints never list B's rows while they do list A's.
Objects are built with the owning packages' services (tests/isolation/world.py); to add an object kind, add a builder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tenants.models import ADMIN_ROLES, AUDIT_ROLES, READ_ROLES, WORK_ROLES, Role
from tests.isolation.routes import SLUG, Route, all_routes
from tests.isolation.world import ACTOR, BUILDERS, World, diff, snapshot

ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROLES = (Role.VIEWER, Role.MEMBER, Role.AUDITOR, Role.AGENCY_ADMIN)
READ, WORK, AUDIT, ADMIN = READ_ROLES, WORK_ROLES, AUDIT_ROLES, ADMIN_ROLES
ANYONE = frozenset({"authenticated"})  # user-level pages: any signed-in person, no agency role involved


@dataclass(frozen=True)
class Entry:
    """methods: HTTP method -> roles allowed. objects: URL argument -> object kind (tests/isolation/world.py).
    params: URL arguments that are not object ids -> the value to use. lists: object kinds a GET lists (API:
    B's ids must never appear, A's must; pages: A's markers must appear). data: request body per method.
    refs: body fields holding object ids, per method -> object kind: with A's ids the request must succeed, with
    B's ids it must be refused and change nothing."""

    methods: dict[str, frozenset[str]]
    objects: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    lists: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, dict[str, str]] = field(default_factory=dict)


def E(
    objects: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    lists: tuple[str, ...] = (),
    data: dict[str, Any] | None = None,
    refs: dict[str, dict[str, str]] | None = None,
    **methods: frozenset[str],
) -> Entry:
    return Entry(
        methods=methods, objects=objects or {}, params=params or {}, lists=lists, data=data or {}, refs=refs or {}
    )


# Routes outside tenant isolation, with why. Prefixes end with ":" (a namespace) or "/" (a URL prefix).
ALLOWLIST: dict[str, str] = {
    "healthz": "liveness probe: no authentication, no tenant data",
    "readyz": "readiness probe: no authentication, no tenant data (tests/web/test_health.py)",
    "set_language": "language switch: stores a cookie, no tenant data",
    "admin:": "Django admin: platform operator (superuser) only, across agencies by design",
    "admin/": "Django admin (unnamed routes): platform operator only",
    "accounts:": "login, logout, password change/reset: before or outside any agency (tests/accounts/)",
    "schema": "OpenAPI schema: describes the API, holds no tenant data",
    "api-docs": "Swagger UI: static documentation page",
}

MATRIX: dict[str, Entry] = {
    # --- user-level pages (no agency in the URL): signed-in people only; must not show another agency's data
    "web:home": E(GET=ANYONE),
    "web:switch_workspace": E(GET=ANYONE, POST=ANYONE),
    # --- /api/v1/ (scope from the API key or the session's workspace)
    "me": E(GET=READ),
    "members": E(GET=ADMIN, POST=ADMIN, lists=("member",)),
    "member_detail": E(PATCH=ADMIN, DELETE=ADMIN, objects={"user_id": "member"}, data={"PATCH": {"role": "viewer"}}),
    "accounts_api:keys": E(GET=ADMIN, POST=ADMIN, lists=("api_key",)),
    "accounts_api:key_revoke": E(POST=ADMIN, objects={"key_id": "api_key"}),
    "documents_api:list": E(GET=READ, POST=WORK, lists=("document",)),
    "documents_api:detail": E(
        GET=READ, PATCH=WORK, objects={"document_id": "document"}, data={"PATCH": {"classification": "restricted"}}
    ),
    "jobs_api:list": E(
        GET=READ,
        POST=WORK,
        lists=("job",),
        data={"POST": {"kind": "summarise"}},
        refs={"POST": {"document": "document"}},
    ),
    "jobs_api:detail": E(GET=READ, objects={"job_id": "job"}),
    "jobs_api:cancel": E(POST=WORK, objects={"job_id": "job"}),
    "jobs_api:result": E(GET=READ, objects={"job_id": "job"}),
    "jobs_api:glossary": E(GET=READ, POST=ADMIN, lists=("glossary_entry",)),
    "jobs_api:glossary-detail": E(GET=READ, DELETE=ADMIN, objects={"entry_id": "glossary_entry"}),
    "audit_api:events": E(GET=AUDIT, lists=("audit_event",)),
    "audit_api:verify": E(GET=AUDIT),
    "audit_api:checkpoints": E(GET=AUDIT),
    "audit_api:job-receipt": E(GET=READ, objects={"job_id": "job"}),
    "routing_api:policy": E(GET=READ, PUT=ADMIN),
    # --- pages under /a/<agency_slug>/
    "web:workspace": E(GET=READ),
    "accounts_console:home": E(GET=READ),
    "accounts_console:members": E(GET=ADMIN, POST=ADMIN, lists=("member",)),
    "accounts_console:member_role": E(POST=ADMIN, objects={"user_id": "member"}, data={"POST": {"role": "viewer"}}),
    "accounts_console:member_remove": E(GET=ADMIN, POST=ADMIN, objects={"user_id": "member"}),
    "accounts_console:keys": E(GET=ADMIN, lists=("api_key",)),
    "accounts_console:key_create": E(GET=ADMIN, POST=ADMIN),
    "accounts_console:key_revoke": E(GET=ADMIN, POST=ADMIN, objects={"key_id": "api_key"}),
    "audit_console:events": E(GET=AUDIT, lists=("audit_event",)),
    "audit_console:verify": E(GET=AUDIT),
    "audit_console:export": E(POST=AUDIT),
    "audit_console:checkpoints": E(GET=AUDIT),
    "audit_console:retention": E(GET=AUDIT, POST=ADMIN),  # auditors read the retention, admins change it
    "audit_console:job-receipt": E(GET=READ, objects={"job_id": "job"}),
    "routing_console:policy": E(GET=READ, POST=ADMIN),  # everyone reads the residency policy, admins change it
    "documents:list": E(GET=READ, lists=("document",)),
    "documents:upload": E(GET=WORK, POST=WORK),
    "documents:detail": E(
        GET=READ, POST=WORK, objects={"document_id": "document"}, data={"POST": {"classification": "restricted"}}
    ),
    "jobs:list": E(GET=READ),
    "jobs:create": E(
        GET=WORK, POST=WORK, data={"POST": {"kind": "summarise"}}, refs={"POST": {"document": "document"}}
    ),
    "jobs:detail": E(GET=READ, objects={"job_id": "job"}),
    "jobs:status": E(GET=READ, objects={"job_id": "job"}),
    "jobs:cancel": E(POST=WORK, objects={"job_id": "job"}),
    "jobs:download": E(GET=READ, objects={"job_id": "job"}, params={"fmt": "md"}, lists=("job",)),
    "jobs_console:webhooks": E(GET=ADMIN, POST=ADMIN, lists=("webhook",)),
    "jobs_console:webhook_delete": E(POST=ADMIN, objects={"webhook_id": "webhook"}),
    "jobs_console:glossary": E(GET=ADMIN, POST=ADMIN, lists=("glossary_entry",)),
    "jobs_console:glossary_delete": E(POST=ADMIN, objects={"entry_id": "glossary_entry"}),
    "jobs_console:usage": E(GET=ADMIN),
}


# --- route discovery ---------------------------------------------------------------------------------------------


def _allowlisted(route: Route) -> bool:
    for entry in ALLOWLIST:
        if entry.endswith(":") and (route.name or "").startswith(entry):
            return True
        if entry.endswith("/") and route.pattern.startswith(entry):
            return True
        if entry == route.key:
            return True
    return False


ROUTES = {route.key: route for route in all_routes()}
COVERED = [route for key, route in ROUTES.items() if key in MATRIX and not _allowlisted(route)]


def _suggestion(route: Route) -> str:
    objects = ", ".join(f'"{kwarg}": "<kind>"' for kwarg in route.object_kwargs)
    objects_arg = f"objects={{{objects}}}, " if objects else ""
    where = {"page": "pages under /a/<agency_slug>/", "api": "/api/v1/", "user": "user-level pages"}[route.kind]
    return f'    "{route.key}": E({objects_arg}GET=READ, POST=WORK),  # {route.pattern} ({where})'


def test_every_route_is_in_the_matrix() -> None:
    missing = [route for key, route in ROUTES.items() if key not in MATRIX and not _allowlisted(route)]
    assert not missing, (
        "These routes are not in the isolation matrix. Add an entry per route to MATRIX in "
        "tests/test_isolation_matrix.py (set the roles allowed per HTTP method; map each URL id to an object kind "
        "of tests/isolation/world.py, adding a builder for a new kind), or to ALLOWLIST with the reason if the "
        "route holds no tenant data. Known object kinds: "
        + ", ".join(sorted(BUILDERS))
        + ".\n"
        + "\n".join(_suggestion(route) for route in missing)
    )


def test_no_route_is_both_allowlisted_and_in_the_matrix() -> None:
    both = sorted(key for key, route in ROUTES.items() if key in MATRIX and _allowlisted(route))
    assert not both, f"In MATRIX and ALLOWLIST at once (the allowlist would silently win): {both}"


@pytest.mark.parametrize("route", [r for r in COVERED if r.kind == "api"], ids=lambda r: r.key)
def test_api_views_set_the_agency_scope_in_the_one_base_class(route: Route) -> None:
    from api.base import AgencyScopedAPIMixin

    view_class = getattr(route.callback, "cls", None) or getattr(route.callback, "view_class", None)
    assert view_class is not None and issubclass(view_class, AgencyScopedAPIMixin), (
        f"{route.key}: /api/v1/ views must derive from api.base.AgencyAPIView or AgencyGenericAPIView"
    )


def test_matrix_has_no_stale_entries() -> None:
    stale = sorted(set(MATRIX) - set(ROUTES))
    assert not stale, f"MATRIX entries without a route (renamed or removed? update the key): {stale}"


@pytest.mark.parametrize("route", COVERED, ids=lambda r: r.key)
def test_entry_maps_every_url_id(route: Route) -> None:
    entry = MATRIX[route.key]
    assert set(entry.objects) | set(entry.params) == set(route.object_kwargs), (
        f"{route.key} ({route.pattern}): objects= (ids -> object kinds) and params= (other URL arguments -> "
        f"values) must cover exactly the URL arguments {list(route.object_kwargs)}; they cover "
        f"{sorted(set(entry.objects) | set(entry.params))}."
    )
    assert set(entry.methods) <= set(ALL_METHODS), f"{route.key}: unknown method in {sorted(entry.methods)}"
    if route.kind == "user":
        assert all(roles == ANYONE for roles in entry.methods.values()), f"{route.key}: user-level: use ANYONE"


# --- the people and their clients ---------------------------------------------------------------------------------


class Cast:
    """Agency A (with every role) and agency B (with one object of each kind needed), plus an outsider."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        fx = request.getfixturevalue
        self.a = World(
            fx("agency_a"),
            {
                Role.AGENCY_ADMIN: fx("admin_a"),
                Role.MEMBER: fx("member_a"),
                Role.VIEWER: fx("viewer_a"),
                Role.AUDITOR: fx("auditor_a"),
            },
            "zza",
        )
        self.b = World(fx("agency_b"), {Role.AGENCY_ADMIN: fx("admin_b"), Role.MEMBER: fx("member_b")}, "zzb")
        self.outsider = fx("outsider")
        self._make_key = fx("make_key")
        self._keys: dict[str, str] = {}
        for world in (self.a, self.b):
            # Every agency has a residency policy (created lazily on first read): make it exist up front, so
            # that lazy creation is not mistaken for a write by the request under test.
            world.id("policy_version")

    def key(self, role: str) -> str:
        if role not in self._keys:
            self._keys[role] = self._make_key(self.a.agency, role)
        return self._keys[role]

    def clients(self, route: Route, role: str) -> list[tuple[str, Client]]:
        """How agency A's person of this role reaches the route: a session, and for the API also a key."""
        user = self.a.people[role]
        if route.kind != "api":
            client = Client()
            client.force_login(user)
            return [(f"{role} session", client)]
        session = APIClient()
        session.force_login(user)
        keyed = APIClient()
        keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {self.key(role)}")
        return [(f"{role} session", session), (f"{role} API key", keyed)]


@pytest.fixture
def cast(request: pytest.FixtureRequest, settings, tmp_path) -> Cast:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Cast(request)


def url_for(route: Route, slug: str | None, world: World) -> str:
    entry = MATRIX[route.key]
    kwargs: dict[str, Any] = {kwarg: world.id(kind) for kwarg, kind in entry.objects.items()}
    kwargs.update(entry.params)
    if SLUG in route.kwargs:
        kwargs[SLUG] = slug
    return reverse(route.name, kwargs=kwargs) if route.name else "/" + _fill(route.pattern, kwargs)


def _fill(pattern: str, kwargs: dict[str, Any]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), pattern)


def call(client: Client, method: str, url: str, route: Route, data: dict[str, Any] | None = None) -> Any:
    data = MATRIX[route.key].data.get(method, {}) if data is None else data
    handler = getattr(client, method.lower())
    if isinstance(client, APIClient):
        return handler(url, data, format="json") if method != "GET" else handler(url)
    if method == "GET":
        return handler(url)
    if method == "POST":
        return handler(url, data)
    return handler(url, json.dumps(data), content_type="application/json")


def rolled_back(client: Client, method: str, url: str, route: Route, data: dict[str, Any] | None = None) -> Any:
    """A request whose database writes are undone, so one test can try every role on the same objects."""
    with transaction.atomic():
        response = call(client, method, url, route, data)
        transaction.set_rollback(True)
    return response


def _describe(response: Any) -> str:
    body = getattr(response, "content", b"")[:300]
    return f"{response.status_code} {body!r}"


def _routes_with_objects() -> list[Route]:
    return [route for route in COVERED if MATRIX[route.key].objects]


def _tenant_routes() -> list[Route]:
    return [route for route in COVERED if route.kind != "user"]


# --- isolation ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route", _routes_with_objects(), ids=lambda r: r.key)
def test_cross_agency_object_is_404_and_changes_nothing(cast: Cast, route: Route) -> None:
    entry = MATRIX[route.key]
    cast.b.build(list(entry.objects.values()))
    url = url_for(route, cast.a.agency.slug, cast.b)  # A's workspace (pages), B's object ids
    before = snapshot(cast.b.agency)
    for method in entry.methods:
        for how, client in cast.clients(route, Role.AGENCY_ADMIN):
            response = call(client, method, url, route)
            assert response.status_code == 404, f"{method} {url} as A's {how} on B's object: {_describe(response)}"
    assert not diff(before, snapshot(cast.b.agency)), diff(before, snapshot(cast.b.agency))


CREATED = (201, 202, 302, 303)


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in COVERED if MATRIX[r.key].refs], ids=lambda r: r.key)
def test_cross_agency_ids_in_request_bodies_are_refused(cast: Cast, route: Route) -> None:
    entry = MATRIX[route.key]
    cast.a.build(list(entry.objects.values()))
    url = url_for(route, cast.a.agency.slug, cast.a)
    for method, refs in entry.refs.items():
        base = entry.data.get(method, {})
        for how, client in cast.clients(route, Role.AGENCY_ADMIN):
            # Control: the same request with A's own ids succeeds, so a refusal below is about B's ids.
            own = {**base, **{name: cast.a.id(kind) for name, kind in refs.items()}}
            response = rolled_back(client, method, url, route, own)
            assert response.status_code in CREATED, f"{method} {url} {own} as A's {how}: {_describe(response)}"
            foreign = {**base, **{name: cast.b.id(kind) for name, kind in refs.items()}}
            before_a, before_b = snapshot(cast.a.agency, skip_apps=frozenset({"audit"})), snapshot(cast.b.agency)
            response = call(client, method, url, route, foreign)
            assert response.status_code < 500 and response.status_code not in CREATED, (
                f"{method} {url} with agency B's ids {foreign} as A's {how} was accepted: {_describe(response)}"
            )
            assert not diff(before_a, snapshot(cast.a.agency, skip_apps=frozenset({"audit"})))
            assert not diff(before_b, snapshot(cast.b.agency))


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in COVERED if r.kind == "page"], ids=lambda r: r.key)
def test_foreign_workspace_is_404(cast: Cast, route: Route) -> None:
    entry = MATRIX[route.key]
    cast.b.build(list(entry.objects.values()))
    url = url_for(route, cast.b.agency.slug, cast.b)  # B's workspace and B's objects, as A's admin
    before = snapshot(cast.b.agency)
    for method in entry.methods:
        for how, client in cast.clients(route, Role.AGENCY_ADMIN):
            response = call(client, method, url, route)
            assert response.status_code == 404, f"{method} {url} as A's {how}: {_describe(response)}"
    assert not diff(before, snapshot(cast.b.agency))


@pytest.mark.django_db
@pytest.mark.parametrize("route", _tenant_routes(), ids=lambda r: r.key)
def test_outsider_404_and_anonymous_refused(cast: Cast, route: Route) -> None:
    entry = MATRIX[route.key]
    cast.a.build(list(entry.objects.values()))
    url = url_for(route, cast.a.agency.slug, cast.a)
    before = snapshot(cast.a.agency)
    for method in entry.methods:
        outsider = APIClient() if route.kind == "api" else Client()
        outsider.force_login(cast.outsider)
        response = call(outsider, method, url, route)
        assert response.status_code == 404, f"{method} {url} as an outsider: {_describe(response)}"
        anonymous = APIClient() if route.kind == "api" else Client()
        response = call(anonymous, method, url, route)
        if route.kind == "api":
            assert response.status_code == 401, f"{method} {url} anonymous: {_describe(response)}"
        else:
            assert response.status_code == 302, f"{method} {url} anonymous: {_describe(response)}"
            assert response["Location"].startswith(reverse("accounts:login")), response["Location"]
    assert not diff(before, snapshot(cast.a.agency))


@pytest.mark.django_db
@pytest.mark.parametrize("route", _tenant_routes(), ids=lambda r: r.key)
def test_suspended_agency_is_refused_everywhere(cast: Cast, route: Route) -> None:
    from tenants.services import agency_set_status

    entry = MATRIX[route.key]
    cast.a.build(list(entry.objects.values()))
    url = url_for(route, cast.a.agency.slug, cast.a)
    clients = cast.clients(route, Role.AGENCY_ADMIN)  # keys are made before the suspension
    agency_set_status(agency=cast.a.agency, status="suspended", actor=ACTOR)
    before = snapshot(cast.a.agency, skip_apps=frozenset({"audit"}))
    for method in entry.methods:
        for how, client in clients:
            response = call(client, method, url, route)
            assert response.status_code == 403, f"{method} {url} as {how} of a suspended agency: {_describe(response)}"
    assert not diff(before, snapshot(cast.a.agency, skip_apps=frozenset({"audit"})))


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in COVERED if r.kind == "user"], ids=lambda r: r.key)
def test_user_level_page_needs_login(cast: Cast, route: Route) -> None:
    for method in MATRIX[route.key].methods:
        response = call(Client(), method, url_for(route, None, cast.a), route)
        assert response.status_code == 302, _describe(response)
        assert response["Location"].startswith(reverse("accounts:login")), response["Location"]


# --- roles --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route", _tenant_routes(), ids=lambda r: r.key)
def test_roles(cast: Cast, route: Route) -> None:
    """Roles not allowed get 403 and change nothing; allowed roles are not refused (their writes rolled back)."""
    entry = MATRIX[route.key]
    cast.a.build(list(entry.objects.values()))
    url = url_for(route, cast.a.agency.slug, cast.a)
    for method, allowed in entry.methods.items():
        for role in ROLES:
            for how, client in cast.clients(route, role):
                if role in allowed:
                    response = rolled_back(client, method, url, route)
                    assert response.status_code < 500 and response.status_code not in (401, 403, 404, 405), (
                        f"{method} {url} as {how}: allowed by the matrix but refused: {_describe(response)}"
                    )
                    continue
                # Audit rows may record the refusal; every other row of A must stay as it was.
                before = snapshot(cast.a.agency, skip_apps=frozenset({"audit"}))
                response = call(client, method, url, route)
                assert response.status_code == 403, f"{method} {url} as {how} must be refused: {_describe(response)}"
                assert not diff(before, snapshot(cast.a.agency, skip_apps=frozenset({"audit"})))


@pytest.mark.django_db
@pytest.mark.parametrize("route", COVERED, ids=lambda r: r.key)
def test_declared_methods_are_the_methods_answered(cast: Cast, route: Route) -> None:
    entry = MATRIX[route.key]
    cast.a.build(list(entry.objects.values()))
    url = url_for(route, cast.a.agency.slug, cast.a)
    role = Role.AGENCY_ADMIN
    for method in ALL_METHODS:
        if method in entry.methods:
            continue
        for how, client in cast.clients(route, role):
            response = rolled_back(client, method, url, route)
            if route.kind != "api" and "GET" in entry.methods and _same_page(response, client.get(url)):
                continue  # a page view that ignores the method and renders its GET page: nothing to guard
            assert response.status_code == 405, (
                f"{method} {url} as {how} answered {_describe(response)}, but the matrix does not declare {method} "
                f"for {route.key}: declare it in MATRIX with its roles, or restrict the view "
                "(@require_http_methods / no handler)."
            )


def _same_page(response: Any, get_response: Any) -> bool:
    def normalised(r: Any) -> tuple[int, str, bytes]:
        body = b"" if r.streaming else re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", r.content)
        return r.status_code, r.get("Location", ""), body

    return normalised(response) == normalised(get_response)


# --- leaks --------------------------------------------------------------------------------------------------------


def _listed_ids(response: Any) -> list[Any]:
    body = response.json()
    items = body.get("results", body) if isinstance(body, dict) else body
    assert isinstance(items, list), f"a list endpoint should answer a list (or results): {str(body)[:300]}"
    return [item.get("id") for item in items if isinstance(item, dict)]


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in COVERED if "GET" in MATRIX[r.key].methods], ids=lambda r: r.key)
def test_reads_never_show_the_other_agency(cast: Cast, route: Route) -> None:
    entry = MATRIX[route.key]
    for kind in BUILDERS:  # every object B can have, so any page that lists anything has B rows to leak
        cast.b.id(kind)
        cast.a.id(kind)
    url = url_for(route, cast.a.agency.slug, cast.a)
    allowed = entry.methods["GET"]
    role = Role.AGENCY_ADMIN if (Role.AGENCY_ADMIN in allowed or allowed == ANYONE) else sorted(allowed)[0]
    if route.kind == "user":
        client = Client()
        client.force_login(cast.a.people[Role.AGENCY_ADMIN])
        clients = [("admin session", client)]
    else:
        clients = cast.clients(route, role)
    for how, client in clients:
        response = client.get(url)
        # 409 and the like are fine (e.g. a result before the job finished): the body is still checked.
        assert response.status_code < 500 and response.status_code not in (401, 403, 404, 405), (
            f"GET {url} as A's {how}: {_describe(response)}"
        )
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode(errors="replace")
        leaked = [marker for marker in cast.b.markers if marker in text]
        assert not leaked, f"GET {url} as A's {how} shows agency B's {leaked}"
        for kind in entry.lists:
            ids = _listed_ids(response) if route.kind == "api" else [None]
            if None in ids:
                # Pages, and API rows without an "id": the list must show A's row (a control, so that B's
                # absence above means something).
                shown = [marker for marker in cast.a.kind_markers[kind] if marker in text]
                assert shown, f"GET {url} should show A's {kind} (one of {cast.a.kind_markers[kind]})"
                continue
            assert cast.b.id(kind) not in ids, f"GET {url} lists B's {kind} {cast.b.id(kind)}"
            assert cast.a.id(kind) in ids, f"GET {url} should list A's {kind} {cast.a.id(kind)} (got {ids})"


# --- the checker itself -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_snapshot_sees_a_change_in_the_other_agency(cast: Cast) -> None:
    """The 'changes nothing' checks above can fail: a revoked key of B is a visible difference."""
    from accounts.models import ApiKey
    from accounts.services import api_key_revoke

    key_id = cast.b.id("api_key")
    before = snapshot(cast.b.agency)
    api_key_revoke(key=ApiKey.unscoped_objects.get(pk=key_id), actor=ACTOR)
    assert any(change.startswith("accounts.ApiKey") for change in diff(before, snapshot(cast.b.agency)))


def test_unlisted_route_message_says_what_to_add() -> None:
    route = Route(
        key="jobs:new_thing",
        pattern="a/<slug:agency_slug>/jobs/<int:job_id>/thing/",
        name="jobs:new_thing",
        kwargs=("agency_slug", "job_id"),
        callback=None,
    )
    assert _suggestion(route) == (
        '    "jobs:new_thing": E(objects={"job_id": "<kind>"}, GET=READ, POST=WORK),'
        "  # a/<slug:agency_slug>/jobs/<int:job_id>/thing/ (pages under /a/<agency_slug>/)"
    )
