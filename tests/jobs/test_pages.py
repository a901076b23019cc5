"""Pages render for the roles that may see them, and only in their own agency."""

from __future__ import annotations

import pytest

from audit.actors import Actor
from jobs.models import Job, JobStatus
from jobs.services import job_create
from tenants.scope import agency_scope
from tests.jobs.conftest import long_text, upload

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Tramontane-123"


def _job(agency) -> Job:
    document = upload(agency, long_text(3).encode(), "r.md")
    with agency_scope(agency):
        job, _ = job_create(agency=agency, actor=Actor.system("t"), document=document, kind="summarise", params={})
    return job


def test_viewer_reads_but_cannot_create(client, agency_a, viewer_a) -> None:
    job = _job(agency_a)
    client.login(username="viewer-a", password=PASSWORD)
    base = f"/a/{agency_a.slug}"
    for url in (
        "/documents/",
        f"/documents/{job.document_id}/",
        "/jobs/",
        "/jobs/?status=queued&kind=summarise",
        f"/jobs/{job.pk}/",
        f"/jobs/{job.pk}/status/",
    ):
        assert client.get(base + url).status_code == 200, url
    assert client.get(base + "/documents/upload/").status_code == 403
    assert client.get(base + "/jobs/new/").status_code == 403
    assert client.post(base + f"/jobs/{job.pk}/cancel/").status_code == 403


def test_member_upload_page_and_job_form(client, agency_a, member_a) -> None:
    client.login(username="member-a", password=PASSWORD)
    base = f"/a/{agency_a.slug}"
    page = client.get(base + "/documents/upload/").content.decode()
    assert 'id="drop-zone"' in page and "<progress" in page
    rejected = client.post(
        base + "/documents/upload/", {"file": _file(b"<html>x</html>", "x.pdf")}, HTTP_ACCEPT="application/json"
    )
    assert rejected.status_code == 415
    assert "HTML" in rejected.json()["error"]["message"]
    document = upload(agency_a, long_text(3).encode(), "r.md")
    form = client.get(base + f"/jobs/new/?document={document.pk}")
    assert form.status_code == 200
    bad = client.post(
        base + "/jobs/new/",
        {"document": document.pk, "kind": "translate", "target_language": "en", "source_language": "en"},
    )
    assert bad.status_code == 400 and "same" in bad.content.decode()
    ok = client.post(
        base + "/jobs/new/", {"document": document.pk, "kind": "summarise", "length": "brief", "style": "bullets"}
    )
    assert ok.status_code == 302
    with agency_scope(agency_a):
        job = Job.objects.get()
    assert job.params == {"length": "brief", "style": "bullets", "plain_language": False}
    assert client.post(base + f"/jobs/{job.pk}/cancel/").status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert client.get(base + f"/jobs/{job.pk}/download/md/").status_code == 404


def test_pages_of_another_agency_are_404(client, agency_a, agency_b, member_b) -> None:
    job = _job(agency_a)
    client.login(username="member-b", password=PASSWORD)
    base = f"/a/{agency_b.slug}"
    for url in (
        f"/documents/{job.document_id}/",
        f"/jobs/{job.pk}/",
        f"/jobs/{job.pk}/status/",
        f"/jobs/{job.pk}/download/md/",
    ):
        assert client.get(base + url).status_code == 404, url
    assert client.post(base + f"/jobs/{job.pk}/cancel/").status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def _file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_usage_page_shows_chart_and_tables(client, agency_a, admin_a) -> None:
    client.login(username="admin-a", password=PASSWORD)
    page = client.get(f"/a/{agency_a.slug}/console/usage/").content.decode()
    assert "<svg" in page and "Per endpoint" in page and "Per job" in page
