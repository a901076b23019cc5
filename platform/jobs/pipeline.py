"""The summarise/translate pipeline: plan (route + chunk), run chunks, fan in on the database, finish.

PostgreSQL is the source of truth: every step reads and writes rows under row locks and is safe to run twice,
so a lost broker message or a killed worker only delays a job (the reconciler re-dispatches it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

import audit
from audit.actions import JOB_REFUSED, JOB_ROUTED
from audit.actors import Actor
from documents.i18n import gettext_noop
from documents.models import Document, DocumentStatus
from jobs.chunking import Chunk, Unit, halve, pack, units_from_blocks
from jobs.models import ChunkStatus, Job, JobChunk, JobKind, JobStatus, UsageRecord
from jobs.params import target_languages
from jobs.prompts import prompt_overhead_text, summary_messages, translate_messages
from tenants.models import Agency

logger = logging.getLogger(__name__)
WORKER = Actor.system("worker")
SUMMARY_OUTPUT = {"brief": 400, "standard": 800, "detailed": 1600}
# Stored in English (audit, logs, webhooks); shown translated by Job.error_display.
DOCUMENT_UNREADABLE = gettext_noop("The document could not be read: %(reason)s")
SAFETY = 0.9  # token counts differ between tokenizers: keep a 10% margin below the smallest context window
MIN_CHUNK_TOKENS = 64
EXTRACTIVE = "builtin-extractive"
BUILTIN_KIND = "builtin_extractive"


def _llm(decision: Any) -> bool:
    return any(c.kind != BUILTIN_KIND for c in decision.candidates)


def _min_context(decision: Any) -> int:
    return cast(int, min(c.context_window for c in decision.candidates if c.kind != BUILTIN_KIND))


class JobFailure(Exception):
    """Ends the job as failed with a message for the user (never retried)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def lease_until() -> Any:
    return timezone.now() + timedelta(seconds=settings.TRAMONTANE_JOB_LEASE_SECONDS)


def count(text: str) -> int:
    from routing.tokens import count_tokens

    return int(count_tokens(text))


# --- Planning ------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    decision: Any
    chunks: list[Chunk]
    chunk_budget: int
    output_tokens: int
    languages: tuple[str, ...]


def job_languages(job: Job, document: Document) -> tuple[str, ...]:
    """(document language,) for a summary; (source, target, target, ...) for a translation."""
    source = document.language or "en"
    if job.kind == JobKind.TRANSLATE:
        declared = job.params.get("source_language", "auto")
        source = document.language if declared == "auto" and document.language else declared
        if source == "auto":
            source = "en"
        return (source, *target_languages(job.params))
    return (source,)


def glossary_terms(job: Job, source: str, target: str) -> list[tuple[str, str]]:
    from jobs.models import GlossaryEntry

    if job.kind != JobKind.TRANSLATE or not job.params.get("use_glossary", True):
        return []
    rows = GlossaryEntry.objects.filter(source_language=source, target_language=target)
    return [(row.source_term, row.target_term) for row in rows.order_by("source_term")]


def _longest_glossary(job: Job, languages: tuple[str, ...]) -> list[tuple[str, str]]:
    """The glossary that makes the largest prompt, so chunks fit whichever target language they are sent for."""
    if job.kind != JobKind.TRANSLATE:
        return []
    glossaries = [glossary_terms(job, languages[0], target) for target in languages[1:]]
    return max(glossaries, key=lambda terms: sum(len(s) + len(t) for s, t in terms), default=[])


def _budgets(job: Job, candidates: Any, overhead: int) -> tuple[int, int]:
    """(input tokens per chunk, output tokens per request) that fit EVERY candidate, so failover never overflows."""
    context = min(c.context_window for c in candidates if c.kind != BUILTIN_KIND)
    max_out = min(c.max_output_tokens for c in candidates if c.kind != BUILTIN_KIND)
    usable = int(context * SAFETY) - overhead
    if job.kind == JobKind.TRANSLATE:
        # A translation is about as long as its source (up to ~1.5x in tokens): output budget follows the input.
        chunk = min(usable * 2 // 5, int(max_out / 1.5))
        return chunk, min(max_out, int(chunk * 1.5) + 32)
    output = min(max_out, SUMMARY_OUTPUT[job.params.get("length", "standard")], max(usable // 4, 1))
    return usable - output, output


def plan_job(*, agency: Agency, job: Job, document: Document) -> Plan:
    """Route, then size chunks from the smallest context window among the candidates; route again with the
    largest request we will really send, until the candidate set is stable."""
    from routing.gateway import TaskSpec
    from routing.services import job_route

    languages = job_languages(job, document)
    glossary = _longest_glossary(job, languages)
    overhead = count(prompt_overhead_text(kind=job.kind, language=languages[0], glossary=glossary)) + 32
    units = units_from_blocks(document.blocks, page_markers=job.kind == JobKind.SUMMARISE)
    spec = TaskSpec(
        kind=job.kind,
        languages=languages,
        input_tokens=overhead + MIN_CHUNK_TOKENS,
        output_tokens=MIN_CHUNK_TOKENS,
        classification=document.classification,
    )
    decision = job_route(agency=agency, task=spec)
    for _ in range(4):
        if not decision.allowed or decision.degraded or not _llm(decision):
            return Plan(decision, [], 0, 0, languages)
        chunk_budget, output = _budgets(job, decision.candidates, overhead)
        if chunk_budget < MIN_CHUNK_TOKENS or (job.kind == JobKind.SUMMARISE and chunk_budget < 2 * output):
            raise JobFailure(
                "context_too_small",
                gettext_noop(
                    "The endpoints allowed for this document have a context window too small to process "
                    "it safely. Ask an agency admin to allow an endpoint with a larger context."
                ),
            )
        chunks = pack(units, budget=chunk_budget, count=count)
        largest = max(c.tokens for c in chunks) + overhead
        spec = dataclasses.replace(spec, input_tokens=largest, output_tokens=output)
        confirmed = job_route(agency=agency, task=spec)
        if not confirmed.allowed or confirmed.degraded or not _llm(confirmed):
            return Plan(confirmed, [], 0, 0, languages)
        if _min_context(confirmed) >= _min_context(decision):
            return Plan(confirmed, chunks, chunk_budget, output, languages)
        decision = confirmed
    raise JobFailure(
        "routing_unstable", gettext_noop("The endpoint set kept changing while planning; try again in a minute.")
    )


def decision_snapshot(decision: Any, *, chunk_budget: int, output_tokens: int) -> dict[str, Any]:
    candidates = [dataclasses.asdict(c) for c in decision.candidates]
    record = dict(decision.record)
    record.update(
        {
            "allowed": decision.allowed,
            "degraded": decision.degraded,
            "refusal_reason": decision.refusal_reason,
            "policy_version": decision.policy_version,
            "candidates": candidates,
            "chosen": candidates[0] if candidates else None,
            "chunk_tokens": chunk_budget,
            "output_tokens": output_tokens,
        }
    )
    return record


def stored_decision(job: Job) -> Any:
    from routing.gateway import CandidateInfo, RoutingDecision

    record = job.routing_decision or {}
    candidates = tuple(CandidateInfo(**c) for c in record.get("candidates", []))
    return RoutingDecision(
        allowed=True,
        candidates=candidates,
        refusal_reason="",
        degraded=False,
        policy_version=job.policy_version or 0,
        record=record,
    )


def job_plan(*, agency: Agency, job_id: int) -> None:
    """Start a queued job, or resume a running one (the reconciler calls this for jobs whose lease expired)."""
    job = Job.objects.select_related("document").get(pk=job_id)
    if job.is_terminal:
        return
    if job.status == JobStatus.RUNNING:
        job_resume(agency=agency, job_id=job_id)
        return
    document = job.document
    if document.status == DocumentStatus.PROCESSING:
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(lease_expires_at=lease_until())
        return  # woken by documents when extraction ends, or by the reconciler
    if document.status == DocumentStatus.REJECTED:
        job_end_failed(
            agency=agency,
            job_id=job_id,
            code="document_rejected",
            message=DOCUMENT_UNREADABLE % {"reason": document.error_message},
        )
        return
    try:
        plan = plan_job(agency=agency, job=job, document=document)
    except JobFailure as exc:
        job_end_failed(agency=agency, job_id=job_id, code=exc.code, message=exc.message)
        return
    if not plan.decision.allowed:
        _refuse(agency=agency, job_id=job_id, decision=plan.decision)
    elif plan.decision.degraded or not _llm(plan.decision):
        _run_extractive(agency=agency, job_id=job_id, plan=plan, document=document)
    else:
        _start(agency=agency, job_id=job_id, plan=plan)


def _refuse(*, agency: Agency, job_id: int, decision: Any) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.QUEUED:
            return
        job.policy_version = decision.policy_version
        job.routing_decision = decision_snapshot(decision, chunk_budget=0, output_tokens=0)
        job.save(update_fields=["policy_version", "routing_decision", "updated_at"])
        audit.record(
            agency=agency,
            actor=WORKER,
            action=JOB_REFUSED,
            target=("job", job.pk),
            details={
                "policy_version": decision.policy_version,
                "reason_sha256": _sha(decision.refusal_reason),
                "document_sha256": job.document.sha256,
            },
        )
        _fail_locked(job, code="refused_by_policy", message=decision.refusal_reason)


def _start(*, agency: Agency, job_id: int, plan: Plan) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.QUEUED:
            return
        job.policy_version = plan.decision.policy_version
        job.routing_decision = decision_snapshot(
            plan.decision, chunk_budget=plan.chunk_budget, output_tokens=plan.output_tokens
        )
        job.params = {**job.params, "languages": list(plan.languages)}
        single = len(plan.chunks) == 1
        # A translation gets one set of parts per target language (the same cut for each); a summary one set.
        targets = list(plan.languages[1:]) if job.kind == JobKind.TRANSLATE else [""]
        if job.kind == JobKind.TRANSLATE:
            # The glossary as it is now, for every part: one terminology across the whole job, read once.
            job.params["glossary"] = {t: glossary_terms(job, plan.languages[0], t) for t in targets}
        created = JobChunk.objects.bulk_create(
            [
                JobChunk(
                    agency=agency,
                    job=job,
                    level=0,
                    language=target,
                    sort_key=f"{i:06d}",
                    source=c.text,
                    refs=c.refs(),
                    input_tokens_planned=c.tokens,
                    max_output_tokens=plan.output_tokens,
                    final=single or job.kind == JobKind.TRANSLATE,
                )
                for target in targets
                for i, c in enumerate(plan.chunks)
            ]
        )
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.progress_total = len(plan.chunks) * len(targets)
        job.lease_expires_at = lease_until()
        job.save()
        audit.record(
            agency=agency,
            actor=WORKER,
            action=JOB_ROUTED,
            target=("job", job.pk),
            details={
                "policy_version": plan.decision.policy_version,
                "endpoint": plan.decision.chosen,
                "candidates": [c.name for c in plan.decision.candidates],
                "chunks": len(plan.chunks),
                "document_sha256": job.document.sha256,
            },
        )
        chunk_ids = [c.pk for c in created]
        transaction.on_commit(lambda: enqueue_chunks(agency_id=agency.pk, chunk_ids=chunk_ids))


def _extractive_part(chunk: Any, summary: str, *, bullets: bool) -> str:
    refs = chunk.refs()
    pages = refs["pages"]
    where = ""
    if pages:
        where = f"[p. {pages[0]}]" if pages[0] == pages[1] else f"[p. {pages[0]}–{pages[1]}]"
    if not bullets:
        return f"{where} {summary}".strip()
    from routing.extractive import split_sentences

    lines = [f"- {sentence}" for sentence in split_sentences(summary)]
    return "\n".join([where, *lines]) if where else "\n".join(lines)


def _run_extractive(*, agency: Agency, job_id: int, plan: Plan, document: Document) -> None:
    """No model may take this document (or none is connected): the builtin extractive summariser, said so."""
    from routing.extractive import extractive_summary

    job = Job.objects.get(pk=job_id)
    if job.kind == JobKind.TRANSLATE:
        _refuse(
            agency=agency,
            job_id=job_id,
            decision=dataclasses.replace(
                plan.decision,
                refusal_reason=plan.decision.refusal_reason
                or gettext_noop(
                    "No translation model is available under your agency's policy. Ask an agency admin to connect one."
                ),
            ),
        )
        return
    sentences = {"brief": 2, "standard": 3, "detailed": 5}[job.params.get("length", "standard")]
    # No [p. N] markers inside the text: the sentence splitter would cut them ("[p." reads as an abbreviation).
    # Each part gets its page/section reference in front instead.
    chunks = pack(units_from_blocks(document.blocks, page_markers=False), budget=1500, count=_approx_tokens)
    bullets = job.params.get("style") == "bullets"
    parts = [
        (
            c,
            _extractive_part(
                c, extractive_summary(text=c.text, language=plan.languages[0], max_sentences=sentences), bullets=bullets
            ),
        )
        for c in chunks
    ]
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.QUEUED:
            return
        job.policy_version = plan.decision.policy_version
        job.routing_decision = decision_snapshot(plan.decision, chunk_budget=1500, output_tokens=0)
        JobChunk.objects.bulk_create(
            [
                JobChunk(
                    agency=agency,
                    job=job,
                    level=0,
                    sort_key=f"{i:06d}",
                    source=c.text,
                    refs=c.refs(),
                    status=ChunkStatus.DONE,
                    result=text,
                    endpoint_name=EXTRACTIVE,
                    final=True,
                )
                for i, (c, text) in enumerate(parts)
            ]
        )
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.progress_total = job.progress_done = len(parts)
        job.warnings = [*job.warnings, "extractive"]
        job.save()
        audit.record(
            agency=agency,
            actor=WORKER,
            action=JOB_ROUTED,
            target=("job", job.pk),
            details={
                "policy_version": plan.decision.policy_version,
                "endpoint": EXTRACTIVE,
                "degraded": True,
                "chunks": len(parts),
                "document_sha256": job.document.sha256,
            },
        )
        _finish_locked(job, "\n\n".join(text for _, text in parts))


def _approx_tokens(text: str) -> int:
    return max(1, len(text) // 4)


# --- Chunks --------------------------------------------------------------------------------------------------


def enqueue_chunks(*, agency_id: int, chunk_ids: list[int]) -> None:
    """Send freshly planned chunks to the workers (known ids: no need to read them back)."""
    from jobs.tasks import chunk_run_task

    for chunk_id in chunk_ids:
        chunk_run_task.delay(agency_id, chunk_id)


def dispatch_pending(*, agency_id: int, job_id: int) -> None:
    from jobs.tasks import chunk_run_task

    now = timezone.now()
    # Called after commit, possibly outside a scope (on_commit): unscoped, but pinned to the agency explicitly.
    job = Job.unscoped_objects.get(pk=job_id, agency_id=agency_id)
    runnable = JobChunk.unscoped_objects.filter(agency_id=agency_id, job_id=job_id, level=job.level).exclude(
        status__in=[ChunkStatus.DONE, ChunkStatus.SPLIT]
    )
    for chunk_id, status, lease in runnable.values_list("pk", "status", "lease_expires_at"):
        if status == ChunkStatus.RUNNING and lease is not None and lease > now:
            continue  # a live worker holds it
        chunk_run_task.delay(agency_id, chunk_id)


def job_resume(*, agency: Agency, job_id: int) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.RUNNING:
            return
        job.attempts += 1
        job.lease_expires_at = lease_until()
        job.save(update_fields=["attempts", "lease_expires_at", "updated_at"])
    job_advance(agency=agency, job_id=job_id)
    dispatch_pending(agency_id=agency.pk, job_id=job_id)


class Quarantined(Exception):
    """A chunk used up its attempts (it keeps failing or killing its workers)."""

    def __init__(self, job_id: int) -> None:
        super().__init__(job_id)
        self.job_id = job_id


def _claim(chunk_id: int) -> tuple[JobChunk | None, int]:
    """Mark the chunk running under a lease: (chunk, job id), or (None, job id) when there is nothing to do (done,
    held, job over)."""
    with transaction.atomic():
        # Lock the chunk row only: the workers running a job's other chunks must not queue on the job row.
        chunk = JobChunk.objects.select_for_update(of=("self",)).select_related("job").get(pk=chunk_id)
        job = chunk.job
        if job.is_terminal or chunk.status in (ChunkStatus.DONE, ChunkStatus.SPLIT):
            return None, job.pk
        now = timezone.now()
        if chunk.status == ChunkStatus.RUNNING and chunk.lease_expires_at and chunk.lease_expires_at > now:
            return None, job.pk
        if chunk.attempts >= settings.TRAMONTANE_JOB_MAX_ATTEMPTS:
            raise Quarantined(job.pk)
        chunk.attempts += 1
        chunk.status = ChunkStatus.RUNNING
        chunk.lease_expires_at = lease_until()
        chunk.save(update_fields=["attempts", "status", "lease_expires_at", "updated_at"])
        # Every recorded chunk extends the job's lease; a claim only does when less than half of it is left.
        half = timedelta(seconds=settings.TRAMONTANE_JOB_LEASE_SECONDS / 2)
        if job.lease_expires_at is None or job.lease_expires_at - now < half:
            Job.objects.filter(pk=job.pk).update(lease_expires_at=chunk.lease_expires_at)
        return chunk, job.pk


def chunk_process(*, agency: Agency, chunk_id: int) -> None:
    """Run one chunk through the model (idempotent: a done chunk is never re-run, a duplicate result is dropped)."""
    from routing.errors import AllCandidatesFailed, ContextOverflow, ModelCallError

    try:
        chunk, job_id = _claim(chunk_id)
    except Quarantined as exc:
        # Stop instead of looping forever on a chunk that keeps failing or killing its workers.
        job_end_failed(
            agency=agency,
            job_id=exc.job_id,
            code="chunk_quarantined",
            message=gettext_noop(
                "A part of the document failed too many times and was set aside. Try again later, or contact "
                "support with the job id."
            ),
        )
        return
    if chunk is None:
        job_advance(agency=agency, job_id=job_id)
        return
    job = chunk.job
    try:
        text, usage = _call(agency=agency, job=job, chunk=chunk)
    except ContextOverflow:
        _split(agency=agency, chunk_id=chunk_id)
        return
    except AllCandidatesFailed:
        _release(chunk_id)
        raise  # retryable: the task retries with backoff
    except ModelCallError as exc:
        job_end_failed(agency=agency, job_id=job.pk, code="model_error", message=exc.message)
        return
    if _record(agency=agency, chunk=chunk, text=text, usage=usage):
        job_advance(agency=agency, job_id=job.pk)


def _release(chunk_id: int) -> None:
    JobChunk.objects.filter(pk=chunk_id, status=ChunkStatus.RUNNING).update(
        status=ChunkStatus.PENDING, lease_expires_at=None
    )


@dataclass
class Usage:
    endpoint_name: str
    input_tokens: int
    output_tokens: int
    cost: Decimal


def _call(*, agency: Agency, job: Job, chunk: JobChunk) -> tuple[str, list[Usage]]:
    decision = stored_decision(job)
    languages = tuple(job.params.get("languages") or job_languages(job, job.document))
    if job.kind == JobKind.TRANSLATE:
        return _translate_call(agency=agency, job=job, chunk=chunk, decision=decision, languages=languages)
    messages = summary_messages(
        language=languages[0],
        params=job.params,
        text=chunk.source,
        stage="map" if chunk.level == 0 else "reduce",
        final=chunk.final,
    )
    result = _complete(agency=agency, job=job, decision=decision, messages=messages, max_tokens=chunk.max_output_tokens)
    return result.text.strip(), [_usage(result)]


def _complete(*, agency: Agency, job: Job, decision: Any, messages: list[dict[str, str]], max_tokens: int) -> Any:
    """One model call; an answer cut at the output limit counts as too long (the part is halved), never kept."""
    from routing.errors import ContextOverflow
    from routing.services import completion_create

    # The document's classification as it is NOW: raised while the job runs, it must stop going where the old
    # level was allowed (the router re-checks every candidate against it before sending).
    classification = Document.objects.values_list("classification", flat=True).get(pk=job.document_id)
    result = completion_create(
        agency=agency, decision=decision, messages=messages, max_tokens=max_tokens, classification=classification
    )
    if result.finish_reason == "length":
        raise ContextOverflow("The model's answer was cut at the output limit; the part is split and retried.")
    return result


def _usage(result: Any) -> Usage:
    return Usage(result.endpoint_name, result.input_tokens, result.output_tokens, Decimal(str(result.cost)))


def _translate_call(
    *, agency: Agency, job: Job, chunk: JobChunk, decision: Any, languages: tuple[str, ...]
) -> tuple[str, list[Usage]]:
    target = chunk.language or languages[1]  # chunks planned before multi-language support carry no language
    snapshot = (job.params.get("glossary") or {}).get(target)
    glossary = [(s, t) for s, t in snapshot] if snapshot is not None else glossary_terms(job, languages[0], target)
    relevant = [(s, t) for s, t in glossary if _contains(chunk.source, s)]
    usages: list[Usage] = []
    text = ""
    for insist in (False, True):
        messages = translate_messages(
            source=languages[0], target=target, glossary=relevant, text=chunk.source, insist=insist
        )
        result = _complete(
            agency=agency, job=job, decision=decision, messages=messages, max_tokens=chunk.max_output_tokens
        )
        usages.append(_usage(result))
        text = enforce_glossary(result.text.strip(), relevant)
        missing = [s for s, t in relevant if not _contains(text, t)]
        if not missing:
            break
    else:
        chunk.warnings = [f"glossary term not applied: {term}" for term in missing]
    return text, usages


def _contains(text: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, flags=re.IGNORECASE) is not None


def enforce_glossary(text: str, glossary: list[tuple[str, str]]) -> str:
    """Source terms the model left untranslated are replaced by the agency's mandated translation."""
    for source, target in glossary:
        if source.lower() != target.lower():
            text = re.sub(rf"(?<!\w){re.escape(source)}(?!\w)", target, text, flags=re.IGNORECASE)
    return text


def _record(*, agency: Agency, chunk: JobChunk, text: str, usage: list[Usage]) -> bool:
    """Store a chunk's result (and its warnings) and meter it, once. False when other parts of the job are
    certainly still unfinished (the caller then skips the fan-in check)."""
    tokens_in = sum(u.input_tokens for u in usage)
    tokens_out = sum(u.output_tokens for u in usage)
    cost = sum((u.cost for u in usage), Decimal("0"))
    endpoint = usage[-1].endpoint_name
    with transaction.atomic():
        # One conditional UPDATE (it waits for a concurrent one and re-checks): a second run records nothing.
        recorded = (
            JobChunk.objects.filter(pk=chunk.pk)
            .exclude(status__in=[ChunkStatus.DONE, ChunkStatus.SPLIT])
            .update(
                result=text,
                status=ChunkStatus.DONE,
                endpoint_name=endpoint,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cost=cost,
                warnings=chunk.warnings,
                lease_expires_at=None,
                updated_at=timezone.now(),
            )
        )
        if not recorded:
            return True  # another run recorded it: keep theirs, count nothing twice
        UsageRecord.objects.create(
            agency=agency,
            job_id=chunk.job_id,
            chunk_id=chunk.pk,
            endpoint_name=endpoint,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost=cost,
            day=timezone.localdate(),
        )
        done, total = _progress_add(agency, chunk.job_id, tokens_in, tokens_out, cost)
    # Every created part that is not split counts in progress_total, and the job row lock orders these updates:
    # done < total means a part of this job is still open, so this chunk is not the last of its level.
    return done >= total


def _progress_add(agency: Agency, job_id: int, tokens_in: int, tokens_out: int, cost: Decimal) -> tuple[int, int]:
    """Count a recorded part and its usage on the job; (progress_done, progress_total) after the update.

    One UPDATE ... RETURNING instead of an update then a query: it runs once per chunk, on the hot path."""
    table = connection.ops.quote_name(Job._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET progress_done = progress_done + 1, input_tokens = input_tokens + %s, "  # noqa: S608
            "output_tokens = output_tokens + %s, cost = cost + %s, lease_expires_at = %s "
            "WHERE id = %s AND agency_id = %s RETURNING progress_done, progress_total",
            [tokens_in, tokens_out, cost, lease_until(), job_id, agency.pk],
        )
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 1)


def _split(*, agency: Agency, chunk_id: int) -> None:
    """The model said the request was too long despite planning: halve this chunk and re-plan its halves."""
    with transaction.atomic():
        chunk = JobChunk.objects.select_for_update().get(pk=chunk_id)
        if chunk.status in (ChunkStatus.DONE, ChunkStatus.SPLIT):
            return
        left, right = halve(chunk.source)
        if not left.strip() or not right.strip() or chunk.sort_key.count(".") >= 6:
            job = Job.objects.select_for_update().get(pk=chunk.job_id)
            if not job.is_terminal:
                _fail_locked(
                    job,
                    code="context_overflow",
                    message=gettext_noop(
                        "A part of the document is too long for every allowed model even after "
                        "splitting. Ask an agency admin to allow an endpoint with a larger context window."
                    ),
                )
            return
        chunk.status = ChunkStatus.SPLIT
        chunk.save(update_fields=["status", "updated_at"])
        for suffix, text in (("0", left), ("1", right)):
            JobChunk.objects.create(
                agency=agency,
                job_id=chunk.job_id,
                level=chunk.level,
                language=chunk.language,
                sort_key=f"{chunk.sort_key}.{suffix}",
                source=text,
                refs=chunk.refs,
                input_tokens_planned=count(text),
                max_output_tokens=chunk.max_output_tokens,
            )
        # A split final chunk is no longer final: one more reduce merges the halves (translations just concatenate).
        job = Job.objects.select_for_update().get(pk=chunk.job_id)
        job.progress_total += 1
        job.save(update_fields=["progress_total", "updated_at"])
        transaction.on_commit(lambda: dispatch_pending(agency_id=agency.pk, job_id=job.pk))


# --- Fan-in --------------------------------------------------------------------------------------------------


def job_advance(*, agency: Agency, job_id: int) -> None:
    """When every chunk of the current level is done: start the next reduce level, or finish the job."""
    # Cheap unlocked check first: most calls come from chunks that are not the last of their level.
    if (
        JobChunk.objects.filter(job_id=job_id, level=Job.objects.filter(pk=job_id).values("level")[:1])
        .exclude(status__in=[ChunkStatus.DONE, ChunkStatus.SPLIT])
        .exists()
    ):
        return
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status != JobStatus.RUNNING:
            return
        level = list(
            JobChunk.objects.filter(job=job, level=job.level)
            .exclude(status=ChunkStatus.SPLIT)
            .order_by("language", "sort_key")
        )
        if not level or any(c.status != ChunkStatus.DONE for c in level):
            return
        if job.kind == JobKind.TRANSLATE:
            _finish_translation_locked(job, level)
        elif len(level) == 1 and level[0].final:
            _finish_locked(job, level[0].result + _coverage_note(job), chunks=level)
        else:
            _next_level(agency, job, level)


def _next_level(agency: Agency, job: Job, level: list[JobChunk]) -> None:
    budget = int((job.routing_decision or {}).get("chunk_tokens") or 0)
    output = int((job.routing_decision or {}).get("output_tokens") or 0)
    units = [Unit(text=c.result, page=(c.refs.get("pages") or [None])[0]) for c in level]
    groups = pack(units, budget=budget, count=count)
    if len(groups) >= len(level) > 1:
        # Merging made no progress (each partial summary fills a whole request): fail instead of looping.
        _fail_locked(
            job,
            code="cannot_reduce",
            message=gettext_noop(
                "The partial summaries are too long to merge within the "
                "allowed models' context. Choose a shorter summary length."
            ),
        )
        return
    job.level += 1
    JobChunk.objects.bulk_create(
        [
            JobChunk(
                agency=agency,
                job=job,
                level=job.level,
                sort_key=f"{i:06d}",
                source=g.text,
                refs=g.refs(),
                input_tokens_planned=g.tokens,
                max_output_tokens=output,
                final=len(groups) == 1,
            )
            for i, g in enumerate(groups)
        ]
    )
    job.progress_total += len(groups)
    job.lease_expires_at = lease_until()
    job.save(update_fields=["level", "progress_total", "lease_expires_at", "updated_at"])
    transaction.on_commit(lambda: dispatch_pending(agency_id=agency.pk, job_id=job.pk))


def _coverage_note(job: Job) -> str:
    parts = list(JobChunk.objects.filter(job=job, level=0).exclude(status=ChunkStatus.SPLIT).order_by("sort_key"))
    pages = [p for c in parts for p in c.refs.get("pages", [])]
    where = f" (pages {min(pages)}–{max(pages)})" if pages else ""
    return f"\n\n---\n\n_{len(parts)} part(s) of the document were read in full{where}; none was skipped._"


def _finish_translation_locked(job: Job, level: list[JobChunk]) -> None:
    """Each target language's parts in document order; results keyed by language, in the requested order."""
    targets = target_languages(job.params)
    results = {
        target: "\n\n".join(c.result for c in level if (c.language or targets[0]) == target) for target in targets
    }
    _finish_locked(job, "", results=results)


def _finish_locked(
    job: Job, markdown: str, chunks: list[JobChunk] | None = None, *, results: dict[str, str] | None = None
) -> None:
    from jobs.services import job_succeed_locked

    served = sorted(
        set(JobChunk.objects.filter(job=job).exclude(endpoint_name="").values_list("endpoint_name", flat=True))
    )
    job_succeed_locked(job, markdown=markdown, served=served, results=results)


def _fail_locked(job: Job, *, code: str, message: str) -> None:
    from jobs.services import job_fail_locked

    job_fail_locked(job, code=code, message=message, actor=WORKER)


def job_end_failed(*, agency: Agency, job_id: int, code: str, message: str) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if not job.is_terminal:
            _fail_locked(job, code=code, message=message)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def retry_countdown(retries: int) -> int:
    return int(min(300, 5 * math.pow(2, retries)))
