"""API contract: creation (202, idempotency), errors that say what to do, roles, and cross-agency isolation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from documents.models import Document
from jobs.models import Job, JobStatus
from tenants.models import Role
from tenants.scope import agency_scope
from tests.documents import files
from tests.jobs.conftest import long_text, upload

pytestmark = pytest.mark.django_db


def _post_file(client, data: bytes, name: str, **extra):
    return client.post("/api/v1/documents", {"file": SimpleUploadedFile(name, data), **extra}, format="multipart")


def _ready_document(agency) -> Document:
    return upload(agency, long_text(5).encode(), "doc.md")


def test_upload_returns_document_with_digest(agency_a, key_client) -> None:
    data = files.make_pdf([["Hello world."]])
    response = _post_file(key_client(agency_a), data, "hello.pdf", title="Hello")
    assert response.status_code == 201
    body = response.json()
    assert body["mime_type"] == "application/pdf"
    assert body["status"] == "processing"
    assert body["classification"] == "internal"  # the policy default
    import hashlib

    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    with agency_scope(agency_a):
        document = Document.objects.get(pk=body["id"])
        assert document.file.name.startswith(f"agencies/{agency_a.pk}/documents/")
        event = AuditEvent.objects.get(action="document.uploaded")
    assert event.details["sha256"] == body["sha256"]
    assert "hello" not in str(event.details).lower()


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        (b"", "empty.txt", 400, "empty_file"),
        (b"<html><body>x</body></html>", "report.pdf", 415, "content_mismatch"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 30, "image.png", 415, "unsupported_type"),
        (files.make_many_entries_zip(), "many.docx", 422, "archive_too_many_entries"),
    ],
)
def test_upload_errors_are_clear_and_audited(agency_a, key_client, data, name, status, code) -> None:
    response = _post_file(key_client(agency_a), data, name)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert len(response.json()["error"]["message"]) > 20
    with agency_scope(agency_a):
        assert not Document.objects.exists()
        event = AuditEvent.objects.get(action="document.rejected")
    assert event.details["code"] == code


def test_upload_over_the_agency_limit_is_413(agency_a, key_client) -> None:
    agency_a.upload_limit_mb = 1
    agency_a.save()
    response = _post_file(key_client(agency_a), b"x" * (1024 * 1024 + 1), "big.txt")
    assert response.status_code == 413
    assert "1 MB" in response.json()["error"]["message"]


def test_upload_without_file_is_400(agency_a, key_client) -> None:
    response = key_client(agency_a).post("/api/v1/documents", {"title": "x"}, format="multipart")
    assert response.status_code == 400
    assert "'file'" in response.json()["error"]["message"]


def test_classification_members_raise_admins_lower(agency_a, key_client) -> None:
    member = key_client(agency_a, Role.MEMBER)
    admin = key_client(agency_a, Role.AGENCY_ADMIN)
    assert _post_file(member, b"text", "a.txt", classification="public").status_code == 400
    doc = _post_file(member, b"text", "b.txt", classification="sensitive").json()
    assert doc["classification"] == "sensitive"
    lower = member.patch(f"/api/v1/documents/{doc['id']}", {"classification": "internal"}, format="json")
    assert lower.status_code == 403
    assert "admin" in lower.json()["error"]["message"]
    assert (
        member.patch(f"/api/v1/documents/{doc['id']}", {"classification": "restricted"}, format="json").json()[
            "classification"
        ]
        == "restricted"
    )
    assert (
        admin.patch(f"/api/v1/documents/{doc['id']}", {"classification": "public"}, format="json").json()[
            "classification"
        ]
        == "public"
    )
    bad = admin.patch(f"/api/v1/documents/{doc['id']}", {"classification": "secret"}, format="json")
    assert bad.status_code == 400 and "public" in bad.json()["error"]["message"]
    with agency_scope(agency_a):
        changes = list(
            AuditEvent.objects.filter(action="document.classification_changed").values_list("details", flat=True)
        )
    assert [(c["from"], c["to"]) for c in changes] == [("sensitive", "restricted"), ("restricted", "public")]


def test_create_job_202_and_idempotent(agency_a, key_client) -> None:
    client = key_client(agency_a)
    document = _ready_document(agency_a)
    payload = {"document": document.pk, "kind": "translate", "target_language": "fr"}
    first = client.post("/api/v1/jobs", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 202
    assert first.json()["status"] == JobStatus.QUEUED
    again = client.post("/api/v1/jobs", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/jobs", {**payload, "target_language": "de"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    with agency_scope(agency_a):
        assert Job.objects.count() == 1
        job = Job.objects.get()
    assert job.created_by_key is not None and job.created_by is None


def test_unknown_language_is_400_listing_supported(agency_a, key_client) -> None:
    document = _ready_document(agency_a)
    response = key_client(agency_a).post(
        "/api/v1/jobs", {"document": document.pk, "kind": "translate", "target_language": "xx"}, format="json"
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    for code in ("en", "fr", "de", "es", "it"):
        assert f"{code} (" in message
    assert response.json()["error"]["details"]["supported_languages"][:5] == ["en", "fr", "de", "es", "it"]


def test_bad_summary_params_are_400(agency_a, key_client) -> None:
    document = _ready_document(agency_a)
    response = key_client(agency_a).post(
        "/api/v1/jobs", {"document": document.pk, "kind": "summarise", "length": "epic"}, format="json"
    )
    assert response.status_code == 400
    assert "brief" in response.json()["error"]["message"]


def test_viewer_cannot_create_or_cancel(agency_a, key_client) -> None:
    document = _ready_document(agency_a)
    viewer = key_client(agency_a, Role.VIEWER)
    assert viewer.post("/api/v1/jobs", {"document": document.pk, "kind": "summarise"}, format="json").status_code == 403
    assert _post_file(viewer, b"text", "a.txt").status_code == 403
    assert viewer.get("/api/v1/documents").status_code == 200


def test_job_list_filters(agency_a, key_client) -> None:
    client = key_client(agency_a)
    document = _ready_document(agency_a)
    client.post("/api/v1/jobs", {"document": document.pk, "kind": "summarise"}, format="json")
    client.post("/api/v1/jobs", {"document": document.pk, "kind": "translate", "target_language": "fr"}, format="json")
    assert [j["kind"] for j in client.get("/api/v1/jobs?kind=translate").json()["results"]] == ["translate"]
    assert len(client.get("/api/v1/jobs?status=queued").json()["results"]) == 2
    assert client.get("/api/v1/jobs?status=running").json()["results"] == []
    assert client.get("/api/v1/jobs?status=bogus").status_code == 400


def test_cross_agency_isolation(agency_a, agency_b, key_client) -> None:
    """Agency B never sees, downloads or cancels agency A's documents or jobs: 404, and nothing changes."""
    a = key_client(agency_a)
    b = key_client(agency_b, Role.AGENCY_ADMIN)
    document = _ready_document(agency_a)
    job_id = a.post("/api/v1/jobs", {"document": document.pk, "kind": "summarise"}, format="json").json()["id"]
    with agency_scope(agency_a):
        Job.objects.filter(pk=job_id).update(status=JobStatus.SUCCEEDED, result_markdown="secret", result_sha256="0")
    for url in (
        f"/api/v1/documents/{document.pk}",
        f"/api/v1/jobs/{job_id}",
        f"/api/v1/jobs/{job_id}/result?format=md",
        f"/api/v1/jobs/{job_id}/result?format=docx",
    ):
        assert b.get(url).status_code == 404, url
    assert b.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 404
    assert b.patch(f"/api/v1/documents/{document.pk}", {"classification": "public"}, format="json").status_code == 404
    assert b.post("/api/v1/jobs", {"document": document.pk, "kind": "summarise"}, format="json").status_code == 404
    assert b.get("/api/v1/documents").json()["results"] == []
    assert b.get("/api/v1/jobs").json()["results"] == []
    with agency_scope(agency_a):
        assert Job.objects.get(pk=job_id).status == JobStatus.SUCCEEDED
        assert Document.objects.get(pk=document.pk).classification == "internal"
    with agency_scope(agency_b):
        assert not AuditEvent.objects.filter(action="result.downloaded").exists()


def test_cross_agency_pages(client, agency_a, agency_b, member_a, member_b, outsider) -> None:
    document = _ready_document(agency_a)
    client.login(username="member-b", password="pw-Tramontane-123")
    assert client.get(f"/a/{agency_b.slug}/documents/{document.pk}/").status_code == 404
    assert client.get(f"/a/{agency_a.slug}/documents/").status_code == 404  # not a member of A
    client.login(username="outsider", password="pw-Tramontane-123")
    assert client.get(f"/a/{agency_a.slug}/jobs/").status_code == 404
    client.login(username="member-a", password="pw-Tramontane-123")
    assert client.get(f"/a/{agency_a.slug}/documents/{document.pk}/").status_code == 200


def test_result_of_unfinished_job_is_409(agency_a, key_client) -> None:
    client = key_client(agency_a)
    document = _ready_document(agency_a)
    job_id = client.post("/api/v1/jobs", {"document": document.pk, "kind": "summarise"}, format="json").json()["id"]
    response = client.get(f"/api/v1/jobs/{job_id}/result?format=md")
    assert response.status_code == 409
    assert client.get(f"/api/v1/jobs/{job_id}/result?format=pdf").status_code == 400


def test_glossary_api_admin_only(agency_a, agency_b, key_client) -> None:
    admin = key_client(agency_a, Role.AGENCY_ADMIN)
    member = key_client(agency_a, Role.MEMBER)
    entry = {"source_language": "fr", "target_language": "en", "source_term": "préfet", "target_term": "prefect"}
    assert member.post("/api/v1/glossary", entry, format="json").status_code == 403
    created = admin.post("/api/v1/glossary", entry, format="json")
    assert created.status_code == 201
    assert member.get("/api/v1/glossary").json()["results"][0]["target_term"] == "prefect"
    assert key_client(agency_b, Role.AGENCY_ADMIN).get(f"/api/v1/glossary/{created.json()['id']}").status_code == 404
    assert admin.post("/api/v1/glossary", {**entry, "target_language": "xx"}, format="json").status_code == 400
    assert admin.delete(f"/api/v1/glossary/{created.json()['id']}").status_code == 204


def test_console_pages_for_admins_only(client, agency_a, admin_a, member_a) -> None:
    client.login(username="member-a", password="pw-Tramontane-123")
    for page in ("webhooks", "glossary", "usage"):
        assert client.get(f"/a/{agency_a.slug}/console/{page}/").status_code == 403
    client.login(username="admin-a", password="pw-Tramontane-123")
    for page in ("webhooks", "glossary", "usage"):
        assert client.get(f"/a/{agency_a.slug}/console/{page}/").status_code == 200
    response = client.post(
        f"/a/{agency_a.slug}/console/webhooks/", {"url": "https://hooks.example.org/t", "secret": "0123456789abcdef!"}
    )
    assert response.status_code == 302
    with agency_scope(agency_a):
        assert AuditEvent.objects.filter(action="webhook.saved").exists()
