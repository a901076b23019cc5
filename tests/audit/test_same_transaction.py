"""Every state-changing service writes its audit event in the caller's transaction.

For each action that exists today: a rolled-back change leaves no event, a committed one has exactly one.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from audit.actors import Actor
from audit.models import AuditEvent
from tenants.models import Membership, Role
from tenants.scope import agency_scope

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("tests")
DOCUMENT_TEXT = "Le préfet Aurélien Castagnède approuve le plan confidentiel Zéphyrin pour Saint-Béat."


class Rollback(Exception):
    pass


def _count(agency, action: str) -> int:
    with agency_scope(agency):
        return AuditEvent.objects.filter(action=action).count()


def _document(agency, classification="internal"):
    from documents.models import Document

    with agency_scope(agency):
        return Document.objects.create(
            agency=agency,
            title="doc",
            file="agencies/x/documents/a.txt",
            sha256="a" * 64,
            size=10,
            mime_type="text/plain",
            classification=classification,
        )


def _job(agency, status="queued"):
    from jobs.models import Job

    with agency_scope(agency):
        return Job.objects.create(agency=agency, document=_document(agency), kind="summarise", status=status)


def _case(name, ctx):
    """(agency, action, callable) for one service."""
    a, member = ctx["agency_a"], ctx["member_a"]

    # Callables re-read their rows: the rolled-back first run leaves in-memory objects stale.
    def membership():
        return Membership.objects.get(user=member, agency=a)

    if name == "member.added":
        from tenants.services import membership_add

        return a, lambda: membership_add(agency=a, user=ctx["outsider"], role=Role.VIEWER, actor=ACTOR)
    if name == "member.role_changed":
        from tenants.services import membership_change_role

        return a, lambda: membership_change_role(membership=membership(), role=Role.VIEWER, actor=ACTOR)
    if name == "member.removed":
        from tenants.services import membership_remove

        return a, lambda: membership_remove(membership=membership(), actor=ACTOR)
    if name == "agency.status_changed":
        from tenants.services import agency_set_status

        return a, lambda: agency_set_status(agency=a, status="suspended", actor=ACTOR)
    if name == "apikey.created":
        from accounts.services import api_key_create

        return a, lambda: api_key_create(agency=a, actor=ACTOR, name="ci")
    if name == "apikey.revoked":
        from accounts.models import ApiKey
        from accounts.services import api_key_create, api_key_revoke

        key, _ = api_key_create(agency=a, actor=ACTOR, name="ci")
        return a, lambda: api_key_revoke(key=ApiKey.unscoped_objects.get(pk=key.pk), actor=ACTOR)
    if name == "auth.login":
        from accounts.services import login_success_record

        return a, lambda: login_success_record(user=member, identifier="member-a", actor=ACTOR)
    if name == "auth.login_failed":
        from accounts.services import login_failure_record

        return a, lambda: login_failure_record(identifier="member-a", ip="192.0.2.1", user=member, actor=ACTOR)
    if name == "auth.logout":
        from accounts.services import logout_record

        return a, lambda: logout_record(user=member, actor=ACTOR)
    if name == "auth.password_changed":
        from accounts.services import user_password_change

        return a, lambda: user_password_change(user=member, new_password="An0ther-long-pass", actor=ACTOR)
    if name == "policy.changed":
        from routing.services import policy_default_ensure

        return a, lambda: policy_default_ensure(agency=a)
    if name == "document.uploaded":
        from documents.services import document_upload

        def upload():
            with agency_scope(a):
                upload_file = SimpleUploadedFile("note.txt", DOCUMENT_TEXT.encode(), content_type="text/plain")
                return document_upload(
                    agency=a, actor=ACTOR, uploaded_file=upload_file, role=Role.MEMBER, classification="internal"
                )

        return a, upload
    if name == "document.rejected":
        from documents.services import DocumentRejected, document_upload

        def reject():
            with agency_scope(a):
                empty = SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf")
                with pytest.raises(DocumentRejected):
                    document_upload(agency=a, actor=ACTOR, uploaded_file=empty, role=Role.MEMBER)

        return a, reject
    if name == "job.created":
        from jobs.services import job_create

        document = _document(a)

        def create():
            with agency_scope(a):
                return job_create(agency=a, actor=ACTOR, document=document, kind="summarise", params={})

        return a, create
    if name in ("job.succeeded", "job.failed"):
        from jobs.models import Job
        from jobs.services import job_fail_locked, job_succeed_locked

        job = _job(a, status="running")

        def finish():
            with agency_scope(a), transaction.atomic():
                locked = Job.objects.select_for_update().get(pk=job.pk)
                if name == "job.succeeded":
                    job_succeed_locked(locked, markdown="# Résumé", served=["mistral-fr"])
                else:
                    job_fail_locked(locked, code="upstream_error", message="refused", actor=ACTOR)

        return a, finish
    if name == "document.classification_changed":
        from documents.services import document_classification_change

        document = _document(a)

        def change():
            with agency_scope(a):
                return document_classification_change(
                    agency=a, actor=ACTOR, document=document, classification="sensitive", role=Role.AGENCY_ADMIN
                )

        return a, change
    if name == "job.cancelled":
        from jobs.services import job_cancel

        job = _job(a)

        def cancel():
            with agency_scope(a):
                return job_cancel(agency=a, actor=ACTOR, job=job)

        return a, cancel
    if name == "result.downloaded":
        from jobs.services import result_download_record

        job = _job(a, status="succeeded")

        def download():
            with agency_scope(a):
                return result_download_record(agency=a, actor=ACTOR, job=job, fmt="md", content=b"result")

        return a, download
    if name == "webhook.saved":
        from jobs.services import webhook_save

        def save():
            with agency_scope(a):
                return webhook_save(agency=a, actor=ACTOR, url="https://hooks.example.org/x", secret="s" * 32)

        return a, save
    if name == "glossary.changed":
        from jobs.services import glossary_entry_save

        def glossary():
            with agency_scope(a):
                return glossary_entry_save(
                    agency=a,
                    actor=ACTOR,
                    source_language="fr",
                    target_language="en",
                    source_term="préfet",
                    target_term="prefect",
                )

        return a, glossary
    if name == "retention.changed":
        from audit.retention import retention_settings_update

        return a, lambda: retention_settings_update(
            agency=a,
            actor=ACTOR,
            document_retention_days=10,
            result_retention_days=10,
            audit_retention_days=400,
            legal_hold=False,
        )
    raise AssertionError(name)


ACTIONS = [
    "member.added",
    "member.role_changed",
    "member.removed",
    "agency.status_changed",
    "apikey.created",
    "apikey.revoked",
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "auth.password_changed",
    "policy.changed",
    "document.uploaded",
    "document.rejected",
    "document.classification_changed",
    "job.created",
    "job.succeeded",
    "job.failed",
    "job.cancelled",
    "result.downloaded",
    "webhook.saved",
    "glossary.changed",
    "retention.changed",
]


@pytest.mark.parametrize("action", ACTIONS)
def test_rolled_back_change_leaves_no_event_committed_one_has_one(
    action, agency_a, agency_b, admin_a, member_a, outsider
):
    ctx = {"agency_a": agency_a, "agency_b": agency_b, "member_a": member_a, "outsider": outsider}
    agency, run = _case(action, ctx)
    before = _count(agency, action)
    with pytest.raises(Rollback), transaction.atomic():
        run()
        assert _count(agency, action) == before + 1
        raise Rollback
    assert _count(agency, action) == before
    run()
    assert _count(agency, action) == before + 1
    with agency_scope(agency_b):
        assert not AuditEvent.objects.filter(action=action).exists()


def test_no_event_details_contain_document_text(agency_a, member_a):
    """Upload and extract a document with distinctive text: no event of the run carries any of it."""
    from documents.services import document_extract

    _agency, upload = _case("document.uploaded", {"agency_a": agency_a, "member_a": member_a})
    document = upload()
    with agency_scope(agency_a):
        document_extract(agency=agency_a, document_id=document.pk)
        events = list(AuditEvent.objects.all())
    assert {e.action for e in events} >= {"document.uploaded"}
    words = {word.strip(".,") for word in DOCUMENT_TEXT.split() if len(word) > 4}
    for event in events:
        dumped = json.dumps(event.details, ensure_ascii=False) + event.actor_label + event.target_id
        for word in words:
            assert word not in dumped, f"{event.action} details contain {word!r}"
