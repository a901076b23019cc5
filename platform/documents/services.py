"""Writes for documents: upload, classification changes, extraction results."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from audit.actions import (
    DOCUMENT_CLASSIFICATION_CHANGED,
    DOCUMENT_REJECTED,
    DOCUMENT_UPLOADED,
    RETENTION_PURGED,
)
from audit.actors import Actor
from documents.i18n import gettext_noop
from documents.language import detect_language
from documents.models import Document, DocumentStatus
from documents.parsing import parse_file
from documents.sniffing import SniffRejected, sniff
from tenants.models import ADMIN_ROLES, Agency
from tenants.scope import agency_scope

logger = logging.getLogger(__name__)


class DocumentRejected(Exception):
    """An upload or change that is refused; `status` is the HTTP status the API answers with."""

    def __init__(self, *, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _digest(uploaded: UploadedFile[Any]) -> str:
    hasher = hashlib.sha256()
    for chunk in uploaded.chunks():
        hasher.update(chunk)
    uploaded.seek(0)
    return hasher.hexdigest()


def _reject(*, agency: Agency, actor: Actor, code: str, status: int, message: str, details: dict[str, Any]) -> None:
    # Audited in its own committed transaction: the refusal is on record even though the request fails.
    with transaction.atomic():
        audit.record(
            agency=agency,
            actor=actor,
            action=DOCUMENT_REJECTED,
            target=("document", ""),
            details={"code": code, **details},
        )
    raise DocumentRejected(status=status, code=code, message=message)


def classification_resolve(*, agency: Agency, requested: str, role: str, current: str | None = None) -> str:
    """The classification to store: the policy default unless asked; lowering below the floor needs an admin."""
    from routing.classification import LADDER, UnknownClassification, rank
    from routing.selectors import policy_current

    default = policy_current(agency=agency).default_classification
    if not requested:
        return current or default
    try:
        wanted = rank(requested)
    except UnknownClassification as exc:
        raise DocumentRejected(status=400, code="invalid_classification", message=str(exc)) from exc
    floor = rank(current or default)
    if wanted < floor and role not in ADMIN_ROLES:
        raise DocumentRejected(
            status=403 if current else 400,
            code="classification_lowering_forbidden",
            message=_(
                "Only an agency admin may lower the classification below '%(level)s'. "
                "Keep it, raise it, or ask an agency admin."
            )
            % {"level": LADDER[floor]},
        )
    return requested


def document_upload(
    *,
    agency: Agency,
    actor: Actor,
    uploaded_file: UploadedFile[Any],
    role: str,
    title: str = "",
    classification: str = "",
    created_by: Any = None,
    created_by_key: Any = None,
) -> Document:
    """Check and store an upload; extraction follows in a worker on the "parse" queue."""
    size = uploaded_file.size or 0
    name = (uploaded_file.name or "")[:300]
    limit = agency.upload_limit_mb * 1024 * 1024
    if size > limit:
        _reject(
            agency=agency,
            actor=actor,
            code="file_too_large",
            status=413,
            details={"size": size},
            message=_(
                "The file is %(size)s MB; this agency accepts up to %(limit)s MB. "
                "Split the document or ask your agency admin to raise the limit."
            )
            % {"size": f"{size / 1048576:.1f}", "limit": agency.upload_limit_mb},
        )
    sha256 = _digest(uploaded_file)
    try:
        sniffed = sniff(uploaded_file, filename=name)  # type: ignore[arg-type]
    except SniffRejected as exc:
        _reject(
            agency=agency,
            actor=actor,
            code=exc.code,
            status=exc.status,
            message=exc.localized(),
            details={"sha256": sha256, "size": size},
        )
    level = classification_resolve(agency=agency, requested=classification, role=role)
    with transaction.atomic():
        document = Document(
            agency=agency,
            title=(title or name or "Untitled")[:300],
            original_name=name,
            sha256=sha256,
            size=size,
            mime_type=sniffed.mime_type,
            classification=level,
            status=DocumentStatus.PROCESSING,
            created_by=created_by,
            created_by_key=created_by_key,
            lease_expires_at=timezone.now() + timedelta(seconds=settings.TRAMONTANE_JOB_LEASE_SECONDS),
        )
        document.file.save(name or "upload", uploaded_file, save=False)
        document.save()
        audit.record(
            agency=agency,
            actor=actor,
            action=DOCUMENT_UPLOADED,
            target=document,
            details={"sha256": sha256, "size": size, "mime_type": sniffed.mime_type, "classification": level},
        )
        transaction.on_commit(lambda: document_extract_dispatch(agency_id=agency.pk, document_id=document.pk))
    return document


def document_extract_dispatch(*, agency_id: int, document_id: int) -> None:
    from documents.tasks import document_extract_task

    document_extract_task.delay(agency_id, document_id)


def document_classification_change(
    *, agency: Agency, actor: Actor, document: Document, classification: str, role: str
) -> Document:
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        previous = locked.classification
        level = classification_resolve(agency=agency, requested=classification, role=role, current=previous)
        if level == previous:
            return cast(Document, locked)
        locked.classification = level
        locked.save(update_fields=["classification", "updated_at"])
        audit.record(
            agency=agency,
            actor=actor,
            action=DOCUMENT_CLASSIFICATION_CHANGED,
            target=locked,
            details={"from": previous, "to": level, "sha256": locked.sha256},
        )
    return cast(Document, locked)


def document_extract(*, agency: Agency, document_id: int) -> Document:
    """Parse the stored file in a limited child process; store blocks and language, or reject with a reason."""
    worker = Actor.system("worker")
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status != DocumentStatus.PROCESSING:
            return cast(Document, document)
        if document.extract_attempts >= settings.TRAMONTANE_JOB_MAX_ATTEMPTS:
            return _extract_reject(
                document,
                worker,
                "parse_attempts_exhausted",
                gettext_noop(
                    "Reading this document failed repeatedly; it was set aside. Re-export it and upload it again."
                ),
            )
        document.extract_attempts += 1
        document.lease_expires_at = timezone.now() + timedelta(seconds=settings.TRAMONTANE_JOB_LEASE_SECONDS)
        document.save(update_fields=["extract_attempts", "lease_expires_at", "updated_at"])
    with tempfile.NamedTemporaryFile(prefix="tramontane-parse-") as local, document.file.open("rb") as stored:
        for chunk in stored.chunks():
            local.write(chunk)
        local.flush()
        outcome = parse_file(path=local.name, mime_type=document.mime_type)
    language = detect_language(_plain_text(outcome.extraction)) if outcome.extraction else ""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status != DocumentStatus.PROCESSING:
            return cast(Document, document)
        if outcome.extraction is None:
            return _extract_reject(document, worker, outcome.error_code, outcome.error_message)
        document.extraction = outcome.extraction
        document.language = language
        document.status = DocumentStatus.READY
        document.lease_expires_at = None
        document.save(update_fields=["extraction", "language", "status", "lease_expires_at", "updated_at"])
        transaction.on_commit(lambda: _wake_waiting_jobs(agency_id=agency.pk, document_id=document_id))
    return cast(Document, document)


def _extract_reject(document: Document, actor: Actor, code: str, message: str) -> Document:
    document.status = DocumentStatus.REJECTED
    document.error_code = code
    document.error_message = message
    document.lease_expires_at = None
    document.save(update_fields=["status", "error_code", "error_message", "lease_expires_at", "updated_at"])
    audit.record(
        agency=document.agency,
        actor=actor,
        action=DOCUMENT_REJECTED,
        target=document,
        details={"code": code, "sha256": document.sha256, "size": document.size},
    )
    transaction.on_commit(lambda: _wake_waiting_jobs(agency_id=document.agency_id, document_id=document.pk))
    return document


def _wake_waiting_jobs(*, agency_id: int, document_id: int) -> None:
    from jobs.services import jobs_waiting_dispatch

    jobs_waiting_dispatch(agency_id=agency_id, document_id=document_id)


def _plain_text(extraction: dict[str, Any] | None) -> str:
    blocks = (extraction or {}).get("blocks", [])
    return "\n".join(str(block.get("text", "")) for block in blocks)


def documents_purge_expired(
    *, agency: Agency, actor: Actor, documents_before: Any, results_before: Any
) -> dict[str, int]:
    """Retention: erase document content older than `documents_before` (file, extracted text, chunk texts) and
    job results finished before `results_before`. Rows stay as tombstones (digests, usage, receipts keep working);
    documents with a queued or running job are left for the next run."""
    from jobs.models import TERMINAL, Job, JobChunk

    with agency_scope(agency), transaction.atomic():
        busy = Job.objects.exclude(status__in=list(TERMINAL)).values("document_id")
        old = list(
            Document.objects.filter(created_at__lt=documents_before)
            .exclude(status=DocumentStatus.PURGED)
            .exclude(pk__in=busy)
            .select_for_update()
        )
        for document in old:
            if document.file:
                document.file.delete(save=False)
            document.extraction = None
            document.title = "(purged)"
            document.original_name = ""
            document.status = DocumentStatus.PURGED
            document.save()
            JobChunk.objects.filter(job__document=document).update(source="", result="")
        expired = Job.objects.filter(status__in=list(TERMINAL), finished_at__lt=results_before).exclude(
            result_markdown=""
        )
        results = list(expired.values_list("pk", "result_sha256"))
        expired.update(result_markdown="", results={})  # result_digests stay: receipts and downloads logs
        JobChunk.objects.filter(job_id__in=[pk for pk, _ in results]).update(source="", result="")
        if old or results:
            audit.record(
                agency=agency,
                actor=actor,
                action=RETENTION_PURGED,
                target=("agency", agency.pk),
                details={
                    "scope": "documents",
                    "documents": len(old),
                    "results": len(results),
                    "document_sha256": [d.sha256 for d in old][:1000],
                    "result_sha256": [digest for _, digest in results][:1000],
                },
            )
    return {"documents": len(old), "results": len(results)}
