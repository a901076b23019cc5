"""One object of every kind for an agency, built through the owning engineers' services, plus DB snapshots.

A *kind* names what a URL's object id points at (the matrix maps each URL argument to a kind). To add a kind,
add a builder below: it runs inside the agency's scope and returns the object's id and the marker strings that
would reveal it if they appeared in another agency's response (names, titles, terms: never bare numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction

from audit.actors import Actor
from tenants.models import Agency, Membership, Role
from tenants.scope import agency_scope

ACTOR = Actor.system("isolation-matrix")
# Fields that change on reads (key use, login): not a database change by the caller's request.
VOLATILE_FIELDS = {"last_used_at", "last_login"}

Builder = Callable[["World"], tuple[int, list[str]]]
BUILDERS: dict[str, Builder] = {}


def builder(kind: str) -> Callable[[Builder], Builder]:
    def register(function: Builder) -> Builder:
        BUILDERS[kind] = function
        return function

    return register


class World:
    """Agency A or B with its people and, lazily, one object of each kind the test asks for."""

    def __init__(self, agency: Agency, people: dict[str, Any], tag: str) -> None:
        self.agency = agency
        self.people = people  # role -> user
        self.tag = tag  # "zza" / "zzb": prefix of every marker, unlikely in any page by chance
        self.ids: dict[str, int] = {}
        self.kind_markers: dict[str, list[str]] = {}

    @property
    def markers(self) -> list[str]:
        """Strings that reveal this agency: its slug, its people's e-mails, its objects' names and digests, and
        the hashes of its audit events (audit rows hold ids and digests only, so names would not show a leak)."""
        from audit.models import AuditEvent

        found = [self.agency.slug, *(user.email for user in self.people.values())]
        for markers in self.kind_markers.values():
            found += markers
        # Test inspection of the agency's own rows: no request scope here.
        found += list(AuditEvent.unscoped_objects.filter(agency=self.agency).values_list("hash", flat=True))
        return found

    def marker(self, what: str) -> str:
        return f"{self.tag}-{what}-{self.agency.pk}"

    def id(self, kind: str) -> int:
        if kind not in self.ids:
            if kind not in BUILDERS:
                raise KeyError(f"No builder for object kind {kind!r}: add one in tests/isolation/world.py.")
            with agency_scope(self.agency):
                pk, markers = BUILDERS[kind](self)
            self.ids[kind] = pk
            self.kind_markers[kind] = markers
        return self.ids[kind]

    def build(self, kinds: list[str] | tuple[str, ...]) -> None:
        for kind in kinds:
            self.id(kind)


# --- builders ------------------------------------------------------------------------------------------------


@builder("member")
def _member(world: World) -> tuple[int, list[str]]:
    """A member (role member) of the agency: URL argument user_id."""
    user = world.people[Role.MEMBER]
    return user.pk, [user.email]


@builder("api_key")
def _api_key(world: World) -> tuple[int, list[str]]:
    from accounts.services import api_key_create

    name = world.marker("key")
    key, _ = api_key_create(agency=world.agency, actor=ACTOR, name=name, role=Role.MEMBER)
    return key.pk, [name, key.prefix]


@builder("document")
def _document(world: World) -> tuple[int, list[str]]:
    from documents.services import document_upload

    title = world.marker("document")
    content = f"Isolation matrix fixture of {title}.\n".encode() * 20  # unique, so its SHA-256 is a marker too
    upload = SimpleUploadedFile(f"{title}.txt", content, content_type="text/plain")
    document = document_upload(
        agency=world.agency, actor=ACTOR, uploaded_file=upload, role=Role.AGENCY_ADMIN, title=title
    )
    return document.pk, [title, document.sha256]


@builder("job")
def _job(world: World) -> tuple[int, list[str]]:
    from documents.models import Document
    from jobs.models import Job
    from jobs.services import job_create, job_succeed_locked

    document = Document.objects.get(pk=world.id("document"))
    idempotency_key = world.marker("job")
    job, _ = job_create(
        agency=world.agency,
        actor=ACTOR,
        document=document,
        kind="summarise",
        params={},
        idempotency_key=idempotency_key,
    )
    # Finished, as a worker would leave it, so result, download and receipt routes have something to serve.
    result = world.marker("result")
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        job_succeed_locked(locked, markdown=f"# Summary\n\n{result}\n", served=["builtin-extractive"])
    return job.pk, [idempotency_key, result]


@builder("glossary_entry")
def _glossary_entry(world: World) -> tuple[int, list[str]]:
    from jobs.services import glossary_entry_save

    term = world.marker("term")
    entry = glossary_entry_save(
        agency=world.agency,
        actor=ACTOR,
        source_language="fr",
        target_language="en",
        source_term=term,
        target_term=world.marker("translation"),
    )
    return entry.pk, [term]


@builder("webhook")
def _webhook(world: World) -> tuple[int, list[str]]:
    from jobs.services import webhook_save

    host = f"{world.marker('hook')}.example.org"
    hook = webhook_save(agency=world.agency, actor=ACTOR, url=f"https://{host}/events", secret="s3cret-" + host)
    return hook.pk, [host]


@builder("policy_version")
def _policy_version(world: World) -> tuple[int, list[str]]:
    from routing.services import policy_default_ensure

    return policy_default_ensure(agency=world.agency).pk, []


@builder("audit_event")
def _audit_event(world: World) -> tuple[int, list[str]]:
    """The audit event of the agency's API key creation: its hash, and the key prefix its details hold."""
    from accounts.models import ApiKey
    from audit import actions
    from audit.models import AuditEvent

    key = ApiKey.objects.get(pk=world.id("api_key"))
    event = AuditEvent.objects.get(action=actions.APIKEY_CREATED, details__prefix=key.prefix)
    return event.pk, [event.hash, key.prefix]


# --- snapshots -----------------------------------------------------------------------------------------------


def _agency_models() -> list[type[models.Model]]:
    """Every model with a foreign key named `agency` to Agency: all tenant-owned rows."""
    found = []
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "agency"), None)
        if field is not None and field.is_relation and field.related_model is Agency:
            found.append(model)
    return found


def snapshot(agency: Agency, *, skip_apps: frozenset[str] = frozenset()) -> dict[str, list[dict[str, Any]]]:
    """Every row the agency owns, its memberships, its people's accounts and the agency itself."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for model in _agency_models():
        if model._meta.app_label in skip_apps:
            continue
        queryset = model._base_manager.filter(agency=agency).order_by("pk")  # plain manager: every row, no scope
        rows[model._meta.label] = [_clean(row) for row in queryset.values()]
    rows["tenants.Agency"] = [_clean(row) for row in Agency.objects.filter(pk=agency.pk).values()]
    user_ids = Membership.objects.filter(agency=agency).values_list("user_id", flat=True)
    rows["auth.User"] = [
        _clean(row) for row in get_user_model().objects.filter(pk__in=list(user_ids)).order_by("pk").values()
    ]
    return rows


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key not in VOLATILE_FIELDS}


def diff(before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]) -> list[str]:
    changes = []
    for label in sorted(set(before) | set(after)):
        old, new = before.get(label, []), after.get(label, [])
        if old != new:
            changes.append(f"{label}: {len(old)} row(s) before, {len(new)} after; rows differ")
    return changes
