"""End to end on real Celery worker processes, real Redis and PostgreSQL, and the fake model server."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import docx
import pytest

from audit.models import AuditEvent
from documents.models import Document, DocumentStatus
from jobs.models import ChunkStatus, Job, JobChunk, JobStatus, UsageRecord, Webhook, WebhookDelivery
from jobs.services import jobs_reconcile
from tenants.models import Role
from tenants.scope import agency_scope
from tests.documents import files
from tests.jobs.conftest import long_text
from tests.support.workers import broker_flush, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class Receiver:
    """A webhook receiver: records (headers, body) of every POST."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(allow_local_webhooks):
    r = Receiver()
    yield r
    r.close()


def _job(pk: int) -> Job:
    return Job.unscoped_objects.get(pk=pk)


def _wait_job(pk: int, *, timeout: float = 90, reconcile: bool = False) -> Job:
    def done():
        if reconcile:
            from django.db import transaction

            with transaction.atomic():
                jobs_reconcile()
        job = _job(pk)
        return job if job.is_terminal else None

    return wait_for(done, timeout=timeout, interval=0.5, message=f"job {pk} to finish")  # type: ignore[return-value]


def _upload(client, data: bytes, name: str, **extra):
    return client.post(
        "/api/v1/documents", {"file": io.BytesIO(data) if False else _file(data, name), **extra}, format="multipart"
    )


def _file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_summary_end_to_end_through_the_api_with_webhook(agency_a, agency_b, llm, workers, key_client, receiver):
    llm(context_window=1200, max_output_tokens=300)
    secret = "webhook-secret-0123456789"
    with agency_scope(agency_a):
        Webhook.objects.create(agency=agency_a, url=receiver.url, secret=secret)
    with agency_scope(agency_b):
        Webhook.objects.create(agency=agency_b, url=receiver.url + "/b", secret="other-secret-0123456789")
    worker = workers(queues=("default", "parse", "llm"), concurrency=2)
    client = key_client(agency_a)
    pdf = files.make_pdf(
        [[f"Page {p} of the annual report. Paragraph MARK{p:04d} describes the budget."] for p in range(1, 31)]
    )
    response = _upload(client, pdf, "report.pdf")
    assert response.status_code == 201, response.content
    document_id = response.json()["id"]
    job_response = client.post(
        "/api/v1/jobs",
        {"document": document_id, "kind": "summarise", "length": "brief"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="e2e-1",
    )
    assert job_response.status_code == 202, job_response.content
    job_id = job_response.json()["id"]
    job = _wait_job(job_id)
    assert job.status == JobStatus.SUCCEEDED, (job.error_message, worker.log()[-3000:])
    assert "SUMMARY R1-30:30" in job.result_markdown
    detail = client.get(f"/api/v1/jobs/{job_id}").json()
    assert detail["routing"]["endpoint"] == "fake-onprem"
    assert detail["progress"]["done"] == detail["progress"]["total"] > 1
    assert detail["usage"]["input_tokens"] > 0
    for fmt, kind in (("md", "text/markdown"), ("txt", "text/plain"), ("docx", "wordprocessingml")):
        download = client.get(f"/api/v1/jobs/{job_id}/result?format={fmt}")
        assert download.status_code == 200 and kind in download["Content-Type"]
    text = docx.Document(io.BytesIO(client.get(f"/api/v1/jobs/{job_id}/result?format=docx").content))
    assert any("R1-30:30" in p.text for p in text.paragraphs)
    # the webhook: one signed POST for agency A, none for agency B
    wait_for(lambda: len(receiver.calls) >= 1, timeout=30, message="webhook")
    time.sleep(1)
    assert len(receiver.calls) == 1
    headers, body = receiver.calls[0]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-tramontane-signature"] == expected
    assert json.loads(body)["job"]["id"] == job_id
    assert json.loads(body)["event"] == "job.succeeded"
    with agency_scope(agency_a):
        assert AuditEvent.objects.filter(action="result.downloaded", target_id=str(job_id)).count() == 4
    assert worker.alive()


def test_translation_end_to_end_through_the_browser(client, agency_a, member_a, llm, workers):
    llm(context_window=1500, max_output_tokens=500)
    workers(queues=("default", "parse", "llm"), concurrency=2)
    client.login(username="member-a", password="pw-Tramontane-123")
    base = f"/a/{agency_a.slug}"
    data = files.make_docx(
        heading="Rapport annuel",
        paragraphs=tuple(
            f"Le ministère a examiné le budget de la région numéro MARK{n:04d} en détail." for n in range(40)
        ),
        bullets=("premier point", "second point"),
        table=(("Poste", "Montant"), ("Santé", "10")),
    )
    response = client.post(f"{base}/documents/upload/", {"file": _file(data, "rapport.docx"), "title": "Rapport"})
    assert response.status_code == 302, response.content[:2000]
    document = Document.unscoped_objects.get()
    wait_for(
        lambda: Document.unscoped_objects.get(pk=document.pk).status != DocumentStatus.PROCESSING,
        timeout=60,
        message="extraction",
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY and document.language == "fr"
    response = client.post(
        f"{base}/jobs/new/",
        {"document": document.pk, "kind": "translate", "target_language": "en", "source_language": "auto"},
    )
    assert response.status_code == 302, response.content[:3000]
    job = Job.unscoped_objects.get()
    assert client.get(f"{base}/jobs/{job.pk}/status/").status_code == 200
    job = _wait_job(job.pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    page = client.get(f"{base}/jobs/{job.pk}/").content.decode()
    assert "[EN] Rapport annuel" in page
    download = client.get(f"{base}/jobs/{job.pk}/download/docx/")
    translated = docx.Document(io.BytesIO(download.content))
    assert translated.paragraphs[0].text == "[EN] Rapport annuel"
    assert [p.text for p in translated.paragraphs if p.style.name == "List Bullet"] == [
        "[EN] premier point",
        "[EN] second point",
    ]
    assert translated.tables[0].cell(1, 0).text == "[EN] Santé"
    md = client.get(f"{base}/jobs/{job.pk}/download/md/").content.decode()
    import re

    assert re.findall(r"MARK\d{4}", md) == [f"MARK{n:04d}" for n in range(40)]


def test_hostile_files_rejected_worker_survives(agency_a, llm, workers, key_client):
    worker = workers(queues=("default", "parse", "llm"), concurrency=1)
    client = key_client(agency_a)
    hostile = {
        "bomb.pdf": files.make_pdf([["bomb"]], nested_flate=5, inflated_bytes=300 << 20),
        "locked.pdf": files.make_encrypted_pdf(),
        "scan.pdf": files.make_image_only_pdf(),
    }
    ids = {}
    for name, data in hostile.items():
        response = _upload(client, data, name)
        assert response.status_code == 201, response.content
        ids[name] = response.json()["id"]
    for name, pk in ids.items():
        wait_for(
            lambda pk=pk: Document.unscoped_objects.get(pk=pk).status != DocumentStatus.PROCESSING,
            timeout=90,
            message=f"{name} parsed",
        )
    codes = {name: Document.unscoped_objects.get(pk=pk).error_code for name, pk in ids.items()}
    assert codes == {"bomb.pdf": "too_complex", "locked.pdf": "encrypted_pdf", "scan.pdf": "image_only_pdf"}
    with agency_scope(agency_a):
        rejected = AuditEvent.objects.filter(action="document.rejected").values_list("target_id", flat=True)
        assert set(rejected) == {str(pk) for pk in ids.values()}
    assert worker.alive()
    # The same worker still parses a normal file afterwards.
    ok = _upload(client, b"# Fine\n\nA normal document.", "fine.md").json()["id"]
    wait_for(
        lambda: Document.unscoped_objects.get(pk=ok).status == DocumentStatus.READY,
        timeout=60,
        message="normal document",
    )
    # A job on a rejected document is refused with the reason.
    refused = client.post("/api/v1/jobs", {"document": ids["locked.pdf"], "kind": "summarise"}, format="json")
    assert refused.status_code == 422
    assert "password" in refused.json()["error"]["message"]


def test_sigkill_mid_job_finishes_exactly_once(agency_a, llm, workers, key_client, receiver):
    endpoint = llm(context_window=1000, max_output_tokens=200)
    fake = llm.fake
    slow = fake.reply

    def reply(body):
        time.sleep(0.6)
        return slow(body)

    fake.reply = reply
    with agency_scope(agency_a):
        Webhook.objects.create(agency=agency_a, url=receiver.url, secret="s" * 20)
    worker = workers(queues=("default", "parse", "llm"), concurrency=1, name="victim")
    client = key_client(agency_a)
    document_id = _upload(client, long_text(60).encode(), "r.md").json()["id"]
    job_id = client.post("/api/v1/jobs", {"document": document_id, "kind": "summarise"}, format="json").json()["id"]
    # Wait until a chunk is in flight (a request reached the model), then SIGKILL the pool child.
    wait_for(
        lambda: JobChunk.unscoped_objects.filter(job_id=job_id, status=ChunkStatus.DONE).count() >= 2,
        timeout=60,
        message="some progress",
    )
    in_flight = wait_for(
        lambda: JobChunk.unscoped_objects.filter(job_id=job_id, status=ChunkStatus.RUNNING).first(),
        timeout=30,
        message="a chunk in flight",
    )
    killed = worker.kill_pool_child()
    assert killed
    job = _wait_job(job_id, timeout=120, reconcile=True)
    assert job.status == JobStatus.SUCCEEDED, (job.error_message, worker.log()[-3000:])
    assert "SUMMARY R0-59:60" in job.result_markdown
    done = JobChunk.unscoped_objects.filter(job_id=job_id, status=ChunkStatus.DONE).count()
    assert UsageRecord.unscoped_objects.filter(job_id=job_id).count() == done
    assert job.progress_done == done
    # the chunk that was in flight was claimed again after its lease expired (the killed attempt counted)
    assert JobChunk.unscoped_objects.get(pk=in_flight.pk).attempts >= 2
    wait_for(lambda: receiver.calls, timeout=30, message="webhook")
    time.sleep(2)
    assert len(receiver.calls) == 1
    assert WebhookDelivery.unscoped_objects.filter(job_id=job_id).count() == 1
    with agency_scope(agency_a):
        assert AuditEvent.objects.filter(action="job.succeeded", target_id=str(job_id)).count() == 1
    assert endpoint.name == job.endpoint_name


def test_broker_flush_mid_run_reconciler_recovers_every_job(agency_a, llm, workers, key_client):
    llm(context_window=1000, max_output_tokens=200)
    fake = llm.fake
    slow = fake.reply

    def reply(body):
        time.sleep(0.3)
        return slow(body)

    fake.reply = reply
    workers(queues=("default", "parse", "llm"), concurrency=2)
    client = key_client(agency_a)
    job_ids = []
    for n in range(3):
        document_id = _upload(client, long_text(30 + n).encode(), f"r{n}.md").json()["id"]
        job_ids.append(
            client.post("/api/v1/jobs", {"document": document_id, "kind": "summarise"}, format="json").json()["id"]
        )
    wait_for(
        lambda: JobChunk.unscoped_objects.filter(status=ChunkStatus.DONE).exists(),
        timeout=60,
        message="first chunk done",
    )
    broker_flush()  # Redis loses every queued message (our db only)
    for pk, n in zip(job_ids, range(3), strict=True):
        job = _wait_job(pk, timeout=120, reconcile=True)
        assert job.status == JobStatus.SUCCEEDED, job.error_message
        assert f"SUMMARY R0-{29 + n}:{30 + n}" in job.result_markdown


def test_cancel_mid_run(agency_a, llm, workers, key_client):
    llm(context_window=1000, max_output_tokens=200)
    fake = llm.fake
    slow = fake.reply

    def reply(body):
        time.sleep(0.4)
        return slow(body)

    fake.reply = reply
    workers(queues=("default", "parse", "llm"), concurrency=1)
    client = key_client(agency_a)
    document_id = _upload(client, long_text(60).encode(), "r.md").json()["id"]
    job_id = client.post("/api/v1/jobs", {"document": document_id, "kind": "summarise"}, format="json").json()["id"]
    wait_for(lambda: _job(job_id).progress_done >= 1, timeout=60, message="progress")
    response = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    time.sleep(3)
    job = _job(job_id)
    assert job.status == JobStatus.CANCELLED
    assert job.progress_done < job.progress_total
    pending = JobChunk.unscoped_objects.filter(job_id=job_id, status=ChunkStatus.PENDING).count()
    assert pending > 0  # the rest was never sent to the model
    assert client.get(f"/api/v1/jobs/{job_id}/result").status_code == 409
    other = key_client(agency_a, Role.VIEWER)
    assert other.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 403


def test_other_way_round_translate_by_api_summarise_by_browser(client, agency_a, member_a, llm, workers, key_client):
    llm(context_window=1500, max_output_tokens=500)
    workers(queues=("default", "parse", "llm"), concurrency=2)
    api = key_client(agency_a)
    odt = files.make_odt(
        heading="Jahresbericht",
        paragraphs=tuple(
            f"Das Ministerium hat den Haushalt der Region MARK{n:04d} im Detail geprüft." for n in range(25)
        ),
    )
    document_id = _upload(api, odt, "bericht.odt").json()["id"]
    job_id = api.post(
        "/api/v1/jobs", {"document": document_id, "kind": "translate", "target_language": "it"}, format="json"
    ).json()["id"]
    client.login(username="member-a", password="pw-Tramontane-123")
    base = f"/a/{agency_a.slug}"
    html = (
        b"<html><body><h1>Annual report</h1>"
        + b"".join(
            f"<p>The agency reviewed the budget of region MARK{n:04d} in detail.</p>".encode() for n in range(25)
        )
        + b"</body></html>"
    )
    assert client.post(f"{base}/documents/upload/", {"file": _file(html, "report.html")}).status_code == 302
    html_doc = Document.unscoped_objects.get(mime_type="text/html")
    wait_for(
        lambda: Document.unscoped_objects.get(pk=html_doc.pk).status == DocumentStatus.READY,
        timeout=60,
        message="html extraction",
    )
    assert (
        client.post(
            f"{base}/jobs/new/", {"document": html_doc.pk, "kind": "summarise", "length": "standard", "style": "prose"}
        ).status_code
        == 302
    )
    summary = Job.unscoped_objects.get(kind="summarise")
    translation = _wait_job(job_id)
    summary = _wait_job(summary.pk)
    assert translation.status == summary.status == JobStatus.SUCCEEDED
    assert translation.params["languages"] == ["de", "it"]
    assert "# [IT] Jahresbericht" in api.get(f"/api/v1/jobs/{job_id}/result?format=md").content.decode()
    assert "SUMMARY R0-24:25" in client.get(f"{base}/jobs/{summary.pk}/download/txt/").content.decode()
