"""The pipeline, run in-process against the fake model server (the worker tests run the same code in Celery)."""

from __future__ import annotations

import pytest

from audit.actors import Actor
from audit.models import AuditEvent
from jobs.models import ChunkStatus, Job, JobChunk, JobStatus, UsageRecord, Webhook, WebhookDelivery
from jobs.services import glossary_entry_save, job_cancel, job_create
from tenants.scope import agency_scope
from tests.jobs.conftest import MARK, drive, long_text, upload

pytestmark = pytest.mark.django_db


def _create(agency, document, kind="summarise", **params):
    with agency_scope(agency):
        job, _ = job_create(agency=agency, actor=Actor.system("tests"), document=document, kind=kind, params=params)
    return job


def test_document_larger_than_context_is_fully_summarised(agency_a, llm) -> None:
    llm(context_window=1200, max_output_tokens=300)
    text = long_text(120)
    document = upload(agency_a, text.encode(), "report.md")
    job = drive(agency_a, _create(agency_a, document).pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    with agency_scope(agency_a):
        level0 = JobChunk.objects.filter(job=job, level=0).exclude(status=ChunkStatus.SPLIT)
        assert level0.count() > 3  # it really was chunked
        assert job.level >= 1  # and reduced
        # every chunk was done, and every marker of the document reached the final summary, in order
        assert not JobChunk.objects.filter(job=job).exclude(status__in=[ChunkStatus.DONE, ChunkStatus.SPLIT]).exists()
        assert "SUMMARY R0-119:120" in job.result_markdown
        # every request fitted the window: none was refused as too long
        assert job.progress_done == job.progress_total
        assert (
            UsageRecord.objects.filter(job=job).count()
            == JobChunk.objects.filter(job=job, status=ChunkStatus.DONE).count()
        )
    assert job.input_tokens > 0 and job.cost > 0
    assert job.routing_decision["chosen"]["name"] == "fake-onprem"
    assert job.routing_decision["chosen"]["context_window"] == 1200
    assert job.endpoint_name == "fake-onprem"
    assert job.policy_version == 1
    assert "part(s) of the document were read in full" in job.result_markdown
    assert len(job.result_sha256) == 64
    with agency_scope(agency_a):
        actions = list(
            AuditEvent.objects.filter(target_type="job", target_id=str(job.pk)).values_list("action", flat=True)
        )
    assert actions == ["job.created", "job.routed", "job.succeeded"]


def test_requests_fit_the_smallest_candidate_context(agency_a, llm) -> None:
    llm("big", context_window=8000, max_output_tokens=600, path="/big")
    llm("small", context_window=1000, max_output_tokens=300, path="/small")
    fake = llm.fake
    fake.context("/small", n_ctx=1000)  # the fake refuses anything larger, as vLLM would
    fake.script("/big", *["500"] * 200)  # the preferred one keeps failing: every chunk fails over to "small"
    document = upload(agency_a, long_text(40).encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document).pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert "SUMMARY R0-39:40" in job.result_markdown
    overflowed = [r for r in fake.requests_to("/small") if r.body and "maximum context" in str(r.body)]
    assert not overflowed


def test_context_overflow_halves_the_chunk_and_loses_nothing(agency_a, llm) -> None:
    llm(context_window=1500, max_output_tokens=300)
    llm.fake.script("/ep1", "overflow_vllm")  # the first request is refused as too long despite planning
    document = upload(agency_a, long_text(30).encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document).pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    with agency_scope(agency_a):
        assert JobChunk.objects.filter(job=job, status=ChunkStatus.SPLIT).count() == 1
    assert "SUMMARY R0-29:30" in job.result_markdown


def test_translation_preserves_structure_and_order(agency_a, llm) -> None:
    llm(context_window=1200, max_output_tokens=400)
    source = long_text(50, language="fr") + "\n- premier point\n- second point\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    document = upload(agency_a, source.encode(), "rapport.md")
    assert document.language == "fr"
    job = drive(agency_a, _create(agency_a, document, "translate", target_language="en").pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    with agency_scope(agency_a):
        assert JobChunk.objects.filter(job=job).count() > 2
    result = job.result_markdown
    assert job.params["languages"] == ["fr", "en"]
    assert MARK.findall(result) == [f"MARK{n:04d}" for n in range(50)]
    assert result.startswith("# [EN] Report")
    assert "## [EN] Section 5" in result
    assert "- [EN] premier point\n- [EN] second point" in result
    assert "| [EN] a | b |\n|---|---|\n| [EN] 1 | 2 |" in result


def test_glossary_is_enforced(agency_a, llm) -> None:
    llm()
    with agency_scope(agency_a):
        glossary_entry_save(
            agency=agency_a,
            actor=Actor.system("tests"),
            source_language="fr",
            target_language="en",
            source_term="ministère",
            target_term="Ministry of State",
        )
    document = upload(agency_a, long_text(5, language="fr").encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document, "translate", target_language="en").pk)
    assert job.status == JobStatus.SUCCEEDED
    assert "ministère" not in job.result_markdown.lower()
    assert "Ministry of State" in job.result_markdown
    prompts = [r.body["messages"][0]["content"] for r in llm.fake.requests_to("/ep1")]
    assert all("ministère => Ministry of State" in p for p in prompts)


def test_unsupported_endpoint_language_is_refused_not_truncated(agency_a, llm) -> None:
    llm(languages=["en", "fr"])
    document = upload(agency_a, long_text(5, language="fr").encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document, "translate", target_language="de").pk)
    assert job.status == JobStatus.FAILED
    assert job.error_code == "refused_by_policy"
    assert job.error_message
    with agency_scope(agency_a):
        assert AuditEvent.objects.filter(action="job.refused", target_id=str(job.pk)).exists()


def test_no_model_connected_gives_an_extractive_summary(agency_a, db) -> None:
    document = upload(agency_a, long_text(30).encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document).pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert "extractive" in job.warnings
    assert job.routing_decision["degraded"] is True
    assert job.result_markdown.strip()


def test_content_filter_fails_the_job_with_the_reason(agency_a, llm) -> None:
    llm()
    llm.fake.script("/ep1", "content_filter")
    document = upload(agency_a, long_text(3).encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document).pk)
    assert job.status == JobStatus.FAILED
    assert job.error_code == "model_error"
    assert "filter" in job.error_message


def test_cancel_stops_remaining_chunks(agency_a, llm) -> None:
    llm(context_window=1000)
    document = upload(agency_a, long_text(60).encode(), "r.md")
    job = _create(agency_a, document)
    seen = []

    def cancel_after_two(chunk):
        seen.append(chunk.pk)
        if len(seen) == 3:
            with agency_scope(agency_a):
                job_cancel(agency=agency_a, actor=Actor.system("tests"), job=Job.objects.get(pk=job.pk))

    job = drive(agency_a, job.pk, before_chunk=cancel_after_two)
    assert job.status == JobStatus.CANCELLED
    with agency_scope(agency_a):
        assert JobChunk.objects.filter(job=job, status=ChunkStatus.DONE).count() == 2
        assert JobChunk.objects.filter(job=job, status=ChunkStatus.PENDING).count() > 0
        assert not job.result_markdown
        assert not WebhookDelivery.objects.filter(job=job).exists()


def test_quarantine_after_k_attempts(agency_a, llm, settings) -> None:
    settings.TRAMONTANE_JOB_MAX_ATTEMPTS = 2
    llm()
    document = upload(agency_a, long_text(3).encode(), "r.md")
    job = _create(agency_a, document)
    from jobs.pipeline import chunk_process, job_plan

    with agency_scope(agency_a):
        job_plan(agency=agency_a, job_id=job.pk)
        chunk = JobChunk.objects.get(job=job)
        # Two runs that "died" mid-call (attempt counted, lease expired) ...
        JobChunk.objects.filter(pk=chunk.pk).update(attempts=2, status=ChunkStatus.RUNNING, lease_expires_at=None)
        chunk_process(agency=agency_a, chunk_id=chunk.pk)
        job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error_code == "chunk_quarantined"


def test_duplicate_chunk_run_counts_once(agency_a, llm) -> None:
    llm()
    document = upload(agency_a, long_text(3).encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document).pk)
    from jobs.pipeline import chunk_process

    with agency_scope(agency_a):
        chunk = JobChunk.objects.get(job=job, level=0)
        calls = len(llm.fake.requests)
        chunk_process(agency=agency_a, chunk_id=chunk.pk)  # a redelivered message after success
        assert len(llm.fake.requests) == calls
        assert UsageRecord.objects.filter(job=job).count() == 1


def test_webhook_rows_created_once_per_job_end(agency_a, llm) -> None:
    llm()
    with agency_scope(agency_a):
        Webhook.objects.create(agency=agency_a, url="http://127.0.0.1:9/hook", secret="s" * 20)
    document = upload(agency_a, long_text(3).encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document).pk)
    with agency_scope(agency_a):
        deliveries = list(WebhookDelivery.objects.filter(job=job))
    assert [d.event for d in deliveries] == ["job.succeeded"]
    assert deliveries[0].idempotency_key == f"job-{job.pk}-job.succeeded-{deliveries[0].webhook_id}"
    assert deliveries[0].payload["job"]["result_sha256"] == job.result_sha256
    assert "MARK" not in str(deliveries[0].payload)  # ids and digests only, never content


def test_retention_purge_erases_content_keeps_tombstones(agency_a, agency_b, llm) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from documents.models import Document, DocumentStatus
    from documents.services import documents_purge_expired

    llm()
    document = upload(agency_a, long_text(3).encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document).pk)
    other = upload(agency_b, long_text(3).encode(), "b.md")
    future = timezone.now() + timedelta(days=1)
    with agency_scope(agency_a):
        summary = documents_purge_expired(
            agency=agency_a, actor=Actor.system("retention"), documents_before=future, results_before=future
        )
        document.refresh_from_db()
        job.refresh_from_db()
        assert summary == {"documents": 1, "results": 1}
        assert document.status == DocumentStatus.PURGED and document.extraction is None and not document.file
        assert job.result_markdown == "" and len(job.result_sha256) == 64
        assert UsageRecord.objects.filter(job=job).exists()
        assert not JobChunk.objects.filter(job=job).exclude(source="").exists()
        assert AuditEvent.objects.filter(action="retention.purged").count() == 1
    with agency_scope(agency_b):
        assert Document.objects.get(pk=other.pk).status == DocumentStatus.READY
