"""Writes for jobs: create, cancel, terminal transitions, reconciliation, webhooks, glossary."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import logging
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from audit.actions import (
    GLOSSARY_CHANGED,
    JOB_CANCELLED,
    JOB_CREATED,
    JOB_FAILED,
    JOB_SUCCEEDED,
    RESULT_DOWNLOADED,
    WEBHOOK_DELETED,
    WEBHOOK_SAVED,
)
from audit.actors import Actor
from documents.models import Document, DocumentStatus
from jobs.models import (
    DeliveryStatus,
    GlossaryEntry,
    Job,
    JobChunk,
    JobStatus,
    Webhook,
    WebhookDelivery,
)
from jobs.params import ParamsInvalid, params_clean, target_languages
from jobs.results import combined_markdown
from jobs.results import digest as result_digest
from jobs.webhook_urls import webhook_post, webhook_url_check
from tenants.models import Agency
from tenants.scope import all_agencies

logger = logging.getLogger(__name__)


class JobRejected(Exception):
    def __init__(self, *, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _sha(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()


# --- Create / cancel -----------------------------------------------------------------------------------------


def job_create(
    *,
    agency: Agency,
    actor: Actor,
    document: Document,
    kind: str,
    params: dict[str, Any],
    idempotency_key: str = "",
    created_by: Any = None,
    created_by_key: Any = None,
) -> tuple[Job, bool]:
    """Create a job (queued) and dispatch it after commit. Same Idempotency-Key → the same job, created=False."""
    try:
        cleaned = params_clean(kind=kind, raw=params)
    except ParamsInvalid as exc:
        raise JobRejected(status=400, code=exc.code, message=exc.message) from exc
    if document.status == DocumentStatus.REJECTED:
        raise JobRejected(
            status=422,
            code="document_rejected",
            message=_("This document could not be read: %(reason)s") % {"reason": document.error_display},
        )
    key = idempotency_key.strip()[:200]
    fingerprint = _sha({"document": document.pk, "kind": kind, "params": cleaned})
    if key:
        existing = _idempotent(key, fingerprint)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            job = Job.objects.create(
                agency=agency,
                document=document,
                kind=kind,
                params=cleaned,
                idempotency_key=key,
                request_sha256=fingerprint,
                created_by=created_by,
                created_by_key=created_by_key,
                lease_expires_at=timezone.now() + timedelta(seconds=settings.TRAMONTANE_JOB_LEASE_SECONDS),
            )
            audit.record(
                agency=agency,
                actor=actor,
                action=JOB_CREATED,
                target=("job", job.pk),
                details={
                    "kind": kind,
                    "document_id": document.pk,
                    "document_sha256": document.sha256,
                    "params_sha256": _sha(cleaned),
                },
            )
            transaction.on_commit(lambda: job_dispatch(agency_id=agency.pk, job_id=job.pk))
    except IntegrityError:
        # A concurrent request with the same key won the race: answer with its job.
        existing = _idempotent(key, fingerprint)
        if existing is None:
            raise
        return existing, False
    return job, True


def _idempotent(key: str, fingerprint: str) -> Job | None:
    existing = Job.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.request_sha256 != fingerprint:
        raise JobRejected(
            status=422,
            code="idempotency_key_reused",
            message=_("This Idempotency-Key was already used for a different request. Use a new key for a new job."),
        )
    return existing


def job_dispatch(*, agency_id: int, job_id: int) -> None:
    from jobs.tasks import job_start_task

    job_start_task.delay(agency_id, job_id)


def jobs_waiting_dispatch(*, agency_id: int, document_id: int) -> None:
    """Extraction ended: start the jobs that were waiting for this document."""
    waiting = Job.unscoped_objects.filter(agency_id=agency_id, document_id=document_id, status=JobStatus.QUEUED)
    for job_id in waiting.values_list("pk", flat=True):
        job_dispatch(agency_id=agency_id, job_id=job_id)


def job_cancel(*, agency: Agency, actor: Actor, job: Job) -> Job:
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.status == JobStatus.CANCELLED:
            return cast(Job, locked)
        if locked.is_terminal:
            raise JobRejected(
                status=409,
                code="job_finished",
                message=_("This job already ended (%(status)s); there is nothing to cancel.")
                % {"status": locked.get_status_display()},
            )
        locked.status = JobStatus.CANCELLED
        locked.finished_at = timezone.now()
        locked.lease_expires_at = None
        locked.save(update_fields=["status", "finished_at", "lease_expires_at", "updated_at"])
        audit.record(
            agency=agency,
            actor=actor,
            action=JOB_CANCELLED,
            target=("job", locked.pk),
            details={"progress_done": locked.progress_done, "progress_total": locked.progress_total},
        )
    return cast(Job, locked)


def result_download_record(
    *, agency: Agency, actor: Actor, job: Job, fmt: str, content: bytes, language: str = ""
) -> None:
    with transaction.atomic():
        audit.record(
            agency=agency,
            actor=actor,
            action=RESULT_DOWNLOADED,
            target=("job", job.pk),
            details={
                "format": fmt,
                **({"language": language} if language else {}),
                "result_sha256": job.result_digests.get(language, "") if language else job.result_sha256,
                "content_sha256": hashlib.sha256(content).hexdigest(),
            },
        )


# --- Terminal transitions (called with the job row locked) ---------------------------------------------------


def job_succeed_locked(job: Job, *, markdown: str, served: list[str], results: dict[str, str] | None = None) -> None:
    """Finish a job. A translation passes `results` ({language: Markdown}, in the requested order); its
    result_markdown is then the canonical combined output (jobs.results), so result_sha256 has one meaning."""
    if results:
        order = [code for code in target_languages(job.params) if code in results] or list(results)
        markdown = combined_markdown(results, order)
        job.results = {code: results[code] for code in order}  # jsonb: key order not kept, params hold it
        job.result_digests = {code: result_digest(results[code]) for code in order}
    record = dict(job.routing_decision or {})
    snapshots = {c["name"]: c for c in record.get("candidates", [])}
    chosen = [snapshots.get(name, {"name": name}) for name in served]
    record["chosen"] = chosen[0] if len(chosen) == 1 else chosen
    job.routing_decision = record
    job.endpoint_name = ", ".join(served)[:200]
    job.result_markdown = markdown
    job.result_sha256 = result_digest(markdown)
    job.status = JobStatus.SUCCEEDED
    job.finished_at = timezone.now()
    job.lease_expires_at = None
    job.warnings = [*job.warnings, *[w for c in JobChunk.objects.filter(job=job) for w in c.warnings]]
    job.save()
    audit.record(
        agency=job.agency,
        actor=Actor.system("worker"),
        action=JOB_SUCCEEDED,
        target=("job", job.pk),
        details={
            "result_sha256": job.result_sha256,
            **({"language_result_sha256": dict(job.result_digests)} if job.result_digests else {}),
            "endpoints": served,
            "input_tokens": job.input_tokens,
            "output_tokens": job.output_tokens,
            "cost": str(job.cost),
        },
    )
    _webhooks_enqueue(job, "job.succeeded")


def job_fail_locked(job: Job, *, code: str, message: str, actor: Actor) -> None:
    job.status = JobStatus.FAILED
    job.error_code = code[:64]
    job.error_message = message
    job.finished_at = timezone.now()
    job.lease_expires_at = None
    job.save()
    audit.record(
        agency=job.agency,
        actor=actor,
        action=JOB_FAILED,
        target=("job", job.pk),
        details={"code": job.error_code, "message_sha256": _sha(message.encode())},
    )
    _webhooks_enqueue(job, "job.failed")


# --- Webhooks ------------------------------------------------------------------------------------------------


def webhook_payload(job: Job, event: str) -> dict[str, Any]:
    return {
        "event": event,
        "agency": job.agency.slug,
        "job": {
            "id": job.pk,
            "kind": job.kind,
            "status": job.status,
            "document": job.document_id,
            "result_sha256": job.result_sha256,
            "result_sha256_by_language": dict(job.result_digests),
            "error_code": job.error_code,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        },
    }


def _webhooks_enqueue(job: Job, event: str) -> None:
    """One delivery row per (job, event, webhook), created in the job's own transaction: exactly once."""
    for hook in Webhook.objects.filter(is_active=True):
        key = f"job-{job.pk}-{event}-{hook.pk}"
        delivery, created = WebhookDelivery.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "agency": job.agency,
                "webhook": hook,
                "job": job,
                "event": event,
                "payload": webhook_payload(job, event),
                "next_attempt_at": timezone.now(),
            },
        )
        if created:
            agency_id, delivery_id = job.agency_id, delivery.pk
            transaction.on_commit(functools.partial(webhook_dispatch, agency_id=agency_id, delivery_id=delivery_id))


def webhook_dispatch(*, agency_id: int, delivery_id: int) -> None:
    from jobs.tasks import webhook_deliver_task

    webhook_deliver_task.delay(agency_id, delivery_id)


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_deliver(*, agency: Agency, delivery_id: int) -> int | None:
    """POST one delivery. Returns seconds to wait before retrying, or None when done (delivered or given up)."""
    timeout = settings.TRAMONTANE_WEBHOOK_TIMEOUT_SECONDS
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("webhook").get(pk=delivery_id)
        now = timezone.now()
        if delivery.status != DeliveryStatus.PENDING or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return None
        delivery.attempts += 1
        # In-flight lease: the reconciler leaves it alone until the request has surely timed out.
        delivery.next_attempt_at = now + timedelta(seconds=timeout * 3)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    body = json.dumps(delivery.payload, sort_keys=True).encode()
    status, error = _post(delivery.webhook, delivery.idempotency_key, delivery.event, body, timeout)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.response_status = status
        delivery.last_error = error[:300]
        if status is not None and 200 <= status < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
            delivery.save()
            return None
        if delivery.attempts >= settings.TRAMONTANE_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            delivery.save()
            return None
        wait = min(3600, 10 * 2 ** (delivery.attempts - 1))
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=wait)
        delivery.save()
        return cast("int | None", wait)


def _post(hook: Webhook, key: str, event: str, body: bytes, timeout: int) -> tuple[int | None, str]:
    # The URL is checked again here, not only when saved: its DNS may now point inside our network.
    return webhook_post(
        hook.url,
        body=body,
        timeout=timeout,
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Tramontane-Webhooks/1",
            "X-Tramontane-Event": event,
            "X-Tramontane-Delivery": key,
            "Idempotency-Key": key,
            "X-Tramontane-Signature": webhook_signature(hook.secret, body),
        },
    )


def webhook_save(
    *, agency: Agency, actor: Actor, url: str, secret: str, is_active: bool = True, webhook: Webhook | None = None
) -> Webhook:
    """Save a webhook; jobs.webhook_urls.WebhookUrlRefused when the URL is not a public HTTPS address."""
    webhook_url_check(url, require_dns=False)
    with transaction.atomic():
        hook = webhook or Webhook(agency=agency)
        hook.url, hook.is_active = url, is_active
        if secret:
            hook.secret = secret
        hook.save()
        audit.record(
            agency=agency,
            actor=actor,
            action=WEBHOOK_SAVED,
            target=("webhook", hook.pk),
            details={"url_sha256": _sha(url.encode()), "active": is_active},
        )
    return hook


def webhook_delete(*, agency: Agency, actor: Actor, webhook: Webhook) -> None:
    with transaction.atomic():
        audit.record(agency=agency, actor=actor, action=WEBHOOK_DELETED, target=("webhook", webhook.pk), details={})
        webhook.delete()


# --- Glossary ------------------------------------------------------------------------------------------------


def glossary_entry_save(
    *, agency: Agency, actor: Actor, source_language: str, target_language: str, source_term: str, target_term: str
) -> GlossaryEntry:
    from jobs.params import SUPPORTED_LANGUAGES, supported_listing

    for code in (source_language, target_language):
        if code not in SUPPORTED_LANGUAGES:
            raise JobRejected(
                status=400,
                code="unsupported_language",
                message=_("Language '%(code)s' is not supported. Supported: %(supported)s.")
                % {"code": code, "supported": supported_listing()},
            )
    if not source_term.strip() or not target_term.strip():
        raise JobRejected(status=400, code="empty_term", message=_("Both the term and its translation are required."))
    with transaction.atomic():
        entry, _created = GlossaryEntry.objects.update_or_create(
            source_language=source_language,
            target_language=target_language,
            source_term=source_term.strip(),
            defaults={"agency": agency, "target_term": target_term.strip()},
        )
        audit.record(
            agency=agency,
            actor=actor,
            action=GLOSSARY_CHANGED,
            target=("glossaryentry", entry.pk),
            details={"pair": f"{source_language}-{target_language}", "term_sha256": _sha(source_term.encode())},
        )
    return cast(GlossaryEntry, entry)


def glossary_entry_delete(*, agency: Agency, actor: Actor, entry: GlossaryEntry) -> None:
    with transaction.atomic():
        audit.record(
            agency=agency,
            actor=actor,
            action=GLOSSARY_CHANGED,
            target=("glossaryentry", entry.pk),
            details={"deleted": True},
        )
        entry.delete()


# --- Reconciler ----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class ReconcileReport:
    documents: int = 0
    jobs: int = 0
    deliveries: int = 0


def jobs_reconcile() -> ReconcileReport:
    """Re-dispatch everything whose lease expired: PostgreSQL says what is unfinished, whatever Redis lost."""
    from documents.services import document_extract_dispatch

    report = ReconcileReport()
    now = timezone.now()
    lease = timedelta(seconds=settings.TRAMONTANE_JOB_LEASE_SECONDS)
    # System scan across agencies: the reconciler owns no agency; each dispatch re-enters its agency's scope.
    with all_agencies():
        for doc in Document.unscoped_objects.filter(status=DocumentStatus.PROCESSING, lease_expires_at__lt=now):
            if Document.unscoped_objects.filter(pk=doc.pk, lease_expires_at=doc.lease_expires_at).update(
                lease_expires_at=now + lease
            ):
                transaction.on_commit(
                    functools.partial(document_extract_dispatch, agency_id=doc.agency_id, document_id=doc.pk)
                )
                report.documents += 1
        stale = Job.unscoped_objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING], lease_expires_at__lt=now)
        for job in stale:
            # Compare-and-set on the lease: two reconcilers never both re-dispatch the same job.
            if Job.unscoped_objects.filter(pk=job.pk, lease_expires_at=job.lease_expires_at).update(
                lease_expires_at=now + lease
            ):
                transaction.on_commit(functools.partial(job_dispatch, agency_id=job.agency_id, job_id=job.pk))
                report.jobs += 1
        due = WebhookDelivery.unscoped_objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lt=now)
        for delivery in due:
            transaction.on_commit(
                functools.partial(webhook_dispatch, agency_id=delivery.agency_id, delivery_id=delivery.pk)
            )
            report.deliveries += 1
    return report
