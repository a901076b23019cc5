"""Error messages: stored and audited in English, shown in the reader's language (the catalogue is looked up at
display time, so a French reader gets the French text of a message a worker stored in English)."""

from __future__ import annotations

import pytest
from django.utils import translation

from audit.models import AuditEvent
from documents.archives import ArchiveRejected
from documents.i18n import localize
from documents.sniffing import SniffRejected
from jobs.models import Job, JobStatus
from tenants.scope import agency_scope
from tests.documents import files
from tests.jobs.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_french(monkeypatch):
    """A stand-in catalogue (the real one is merged by the locale owner): marks every looked-up message."""
    import django.utils.translation as translation_module

    looked_up: list[str] = []

    def gettext(message: str) -> str:
        looked_up.append(message)
        return f"FR<{message}>"

    monkeypatch.setattr(translation_module, "gettext", gettext)
    return looked_up


def test_worker_stored_error_is_english_and_displayed_translated(agency_a, fake_french) -> None:
    with translation.override("fr"):
        document = upload(agency_a, files.make_encrypted_pdf(), "locked.pdf")
    assert document.error_code == "encrypted_pdf"
    assert document.error_message.startswith("This PDF is protected by a password.")  # English, as stored
    assert document.error_display == f"FR<{document.error_message}>"  # translated from the stored msgid


def test_job_error_about_an_unreadable_document_is_translated_in_parts(agency_a, fake_french) -> None:
    document = upload(agency_a, files.make_encrypted_pdf(), "locked.pdf")
    with agency_scope(agency_a):
        job = Job.objects.create(
            agency=agency_a,
            document=document,
            kind="summarise",
            status=JobStatus.FAILED,
            error_code="document_rejected",
            error_message="The document could not be read: " + document.error_message,
        )
    assert job.error_display == f"FR<The document could not be read: FR<{document.error_message}>>"


def test_rejections_carry_english_text_and_a_translatable_template(fake_french) -> None:
    rejected = SniffRejected(
        status=415,
        code="unsupported_type",
        message="This file is %(what)s. Upload %(supported)s.",
        params={"what": "a GIF image", "supported": "PDF"},
    )
    assert rejected.message == "This file is a GIF image. Upload PDF."
    assert rejected.localized() == "FR<This file is FR<a GIF image>. Upload FR<PDF>.>"
    archive = ArchiveRejected("archive_ratio", "compressed %(ratio)s:1", {"ratio": "500"})
    assert archive.message == "compressed 500:1" and archive.localized() == "FR<compressed 500:1>"
    assert localize("") == ""  # never the catalogue header


def test_upload_rejection_audit_keeps_codes_only_whatever_the_language(agency_a, make_key, api_client) -> None:
    client = api_client(make_key(agency_a, "member"))
    response = client.post(
        "/api/v1/documents",
        {"file": _file(b"<html><body>x</body></html>", "x.pdf")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 415
    with agency_scope(agency_a):
        event = AuditEvent.objects.get(action="document.rejected")
    assert event.details["code"] == "content_mismatch" and "message" not in event.details


def _file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_french_reader_gets_french_upload_errors_and_english_stays_default(agency_a, make_key, api_client) -> None:
    client = api_client(make_key(agency_a, "member"))
    html = b"<html><body>x</body></html>"
    english = client.post("/api/v1/documents", {"file": _file(html, "x.pdf")}, format="multipart")
    french = client.post(
        "/api/v1/documents", {"file": _file(html, "x.pdf")}, format="multipart", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert english.status_code == french.status_code == 415
    assert english.json()["error"]["message"].startswith("The file is named '.pdf' but its content is HTML.")
    message = french.json()["error"]["message"]
    assert "The file is named" not in message and ".pdf" in message and "HTML" in message
    assert french.json()["error"]["code"] == english.json()["error"]["code"] == "content_mismatch"


def test_french_reader_sees_a_worker_error_in_french(agency_a, make_key, api_client) -> None:
    document = upload(agency_a, files.make_encrypted_pdf(), "locked.pdf")
    client = api_client(make_key(agency_a, "viewer"))
    english = client.get(f"/api/v1/documents/{document.pk}").json()["error"]["message"]
    french = client.get(f"/api/v1/documents/{document.pk}", HTTP_ACCEPT_LANGUAGE="fr").json()["error"]["message"]
    assert english == document.error_message  # stored and shown in English by default
    assert french != english and "PDF" in french
