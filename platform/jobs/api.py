"""Jobs API: create (202), list, detail, cancel, result downloads; glossary."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import AgencyAPIView, AgencyGenericAPIView
from api.errors import ApiError
from documents.context import ctx_actor, ctx_agency
from documents.models import Document
from documents.selectors import document_get
from jobs.models import GlossaryEntry, Job, JobKind, JobStatus
from jobs.params import SUPPORTED_LANGUAGES
from jobs.render import as_docx, as_text
from jobs.selectors import glossary_list, job_get, jobs_list
from jobs.services import (
    JobRejected,
    glossary_entry_delete,
    glossary_entry_save,
    job_cancel,
    job_create,
    result_download_record,
)
from tenants.models import ADMIN_ROLES, READ_ROLES

FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "txt": ("text/plain; charset=utf-8", "txt"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
}


def job_data(job: Job) -> dict[str, Any]:
    decision = job.routing_decision or {}
    chosen = decision.get("chosen")
    return {
        "id": job.pk,
        "document": job.document_id,
        "kind": job.kind,
        "status": job.status,
        "params": {k: v for k, v in job.params.items() if k not in {"languages", "glossary"}},
        "languages": job.params.get("languages", []),
        "progress": {"done": job.progress_done, "total": job.progress_total, "percent": job.progress_percent},
        "attempts": job.attempts,
        "routing": {
            "policy_version": job.policy_version,
            "endpoint": job.endpoint_name or (chosen.get("name", "") if isinstance(chosen, dict) else ""),
            "candidates": [c.get("name") for c in decision.get("candidates", [])],
            "degraded": bool(decision.get("degraded")),
            "refusal_reason": decision.get("refusal_reason", ""),
        },
        "usage": {"input_tokens": job.input_tokens, "output_tokens": job.output_tokens, "cost": str(job.cost)},
        "error": {"code": job.error_code, "message": job.error_display} if job.error_code else None,
        "warnings": job.warnings,
        "target_languages": job.target_languages,
        "result_sha256": job.result_sha256 or None,
        "result_urls": {fmt: reverse("jobs_api:result", args=[job.pk]) + f"?format={fmt}" for fmt in FORMATS}
        if job.status == JobStatus.SUCCEEDED
        else {},
        # Translations: each target language's own result (its digest, and where to download it).
        "results": {
            code: {
                "sha256": digest,
                "urls": {
                    fmt: reverse("jobs_api:result", args=[job.pk]) + f"?format={fmt}&language={code}" for fmt in FORMATS
                }
                if job.status == JobStatus.SUCCEEDED
                else {},
            }
            for code, digest in ((c, job.result_digests[c]) for c in job.target_languages if c in job.result_digests)
        },
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "created_by": job.created_by_id,
        "created_by_key": job.created_by_key_id,
    }


def _get(job_id: int) -> Job:
    try:
        return job_get(job_id=job_id)
    except Job.DoesNotExist as exc:
        raise ApiError(status=404, code="not_found", message=_("No such job in your agency.")) from exc


class JobCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    document = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=JobKind.choices)
    target_language = serializers.CharField(
        required=False, help_text=f"translate into one language: {', '.join(SUPPORTED_LANGUAGES)}"
    )
    target_languages = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text='translate into several languages in one job, e.g. ["fr", "de"] (instead of target_language)',
    )
    source_language = serializers.CharField(required=False, help_text="translate: 'auto' (default) or a code")
    length = serializers.ChoiceField(choices=["brief", "standard", "detailed"], required=False)
    style = serializers.ChoiceField(choices=["prose", "bullets"], required=False)  # type: ignore[assignment]
    plain_language = serializers.BooleanField(required=False)
    use_glossary = serializers.BooleanField(required=False)


class JobListView(AgencyGenericAPIView):
    parser_classes = [JSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="queued|running|succeeded|failed|cancelled"),
            OpenApiParameter("kind", str, description="summarise|translate"),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="List jobs",
        operation_id="jobs_list",
    )
    def get(self, request: Request) -> Response:
        status, kind = request.query_params.get("status", ""), request.query_params.get("kind", "")
        if status and status not in JobStatus.values:
            raise ApiError(
                status=400,
                code="invalid_status",
                message=_("status must be one of %(allowed)s.") % {"allowed": ", ".join(JobStatus.values)},
            )
        if kind and kind not in JobKind.values:
            raise ApiError(
                status=400,
                code="invalid_kind",
                message=_("kind must be one of %(allowed)s.") % {"allowed": ", ".join(JobKind.values)},
            )
        page = self.paginate_queryset(jobs_list(status=status, kind=kind))
        return self.get_paginated_response([job_data(job) for job in page or []])

    @extend_schema(
        request=JobCreateSerializer,
        responses={202: OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, description="Same key → the same job (safe retries)."
            )
        ],
        summary="Create a summarise or translate job",
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        raw_document = data.get("document")
        kind = str(data.get("kind", ""))
        if not isinstance(raw_document, int) and not str(raw_document or "").isdigit():
            raise ApiError(
                status=400,
                code="missing_document",
                message=_('Send {"document": <id>, "kind": "summarise"|"translate", ...}.'),
            )
        try:
            document = document_get(document_id=int(raw_document))  # type: ignore[arg-type]
        except Document.DoesNotExist as exc:
            raise ApiError(
                status=404, code="document_not_found", message=_("No such document in your agency.")
            ) from exc
        params = {k: v for k, v in data.items() if k not in {"document", "kind"}}
        try:
            job, created = job_create(
                agency=ctx_agency(request),
                actor=ctx_actor(request),
                document=document,
                kind=kind,
                params=params,
                idempotency_key=request.headers.get("Idempotency-Key", ""),
                created_by=None if getattr(request, "api_key", None) else request.user,
                created_by_key=getattr(request, "api_key", None),
            )
        except JobRejected as exc:
            raise ApiError(
                status=exc.status,
                code=exc.code,
                message=exc.message,
                details={"supported_languages": list(SUPPORTED_LANGUAGES)}
                if exc.code == "unsupported_language"
                else None,
            ) from exc
        response = Response(job_data(job), status=202)
        response["Location"] = reverse("jobs_api:detail", args=[job.pk])
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class JobDetailView(AgencyAPIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One job, with routing decision, progress and usage")
    def get(self, request: Request, job_id: int) -> Response:
        return Response(job_data(_get(job_id)))


class JobCancelView(AgencyAPIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, summary="Cancel a job")
    def post(self, request: Request, job_id: int) -> Response:
        try:
            job = job_cancel(agency=ctx_agency(request), actor=ctx_actor(request), job=_get(job_id))
        except JobRejected as exc:
            raise ApiError(status=exc.status, code=exc.code, message=exc.message) from exc
        return Response(job_data(job))


class UnknownResultLanguage(ValueError):
    pass


def result_content(job: Job, fmt: str, language: str = "") -> tuple[bytes, str, str]:
    """(content, content type, file name) of a finished job's result: one target language's, or (no language)
    the whole result (for several languages, the combined output whose SHA-256 is job.result_sha256)."""
    content_type, suffix = FORMATS[fmt]
    if language and language not in job.results:
        raise UnknownResultLanguage(language)
    markdown = job.results[language] if language else job.result_markdown
    if fmt == "md":
        content = markdown.encode()
    elif fmt == "txt":
        content = as_text(markdown).encode()
    else:
        content = as_docx(markdown, title=job.document.title)
    lang = language or "-".join(job.target_languages)
    name = f"job-{job.pk}-{job.kind}{'-' + lang if lang else ''}.{suffix}"
    return content, content_type, name


def result_download_response(request: Any, job: Job, fmt: str, language: str = "") -> HttpResponse:
    """The result as an attachment, its download audited (result.downloaded). Raises UnknownResultLanguage."""
    content, content_type, name = result_content(job, fmt, language)
    result_download_record(
        agency=ctx_agency(request),
        actor=ctx_actor(request),
        job=job,
        fmt=fmt,
        content=content,
        language=language,
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class JobResultView(AgencyAPIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # ?format= names the result's file format here, not a DRF renderer: skip DRF's format negotiation.
        from rest_framework.renderers import JSONRenderer

        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, description="md (default) | txt | docx"),
            OpenApiParameter(
                "language",
                str,
                description="translations: one target language's result; without it, the whole result "
                "(several languages: the combined output, whose SHA-256 is result_sha256)",
            ),
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="Download a result",
    )
    def get(self, request: Request, job_id: int) -> HttpResponse:
        job = _get(job_id)
        fmt = request.query_params.get("format", "md")
        if fmt not in FORMATS:
            raise ApiError(status=400, code="invalid_format", message=_("format must be md, txt or docx."))
        if job.status != JobStatus.SUCCEEDED:
            raise ApiError(
                status=409,
                code="no_result",
                message=_("This job is %(status)s; a result exists only once it has succeeded.")
                % {"status": job.get_status_display()},
            )
        language = request.query_params.get("language", "").strip().lower()
        try:
            return result_download_response(request, job, fmt, language)
        except UnknownResultLanguage as exc:
            available = ", ".join(c for c in job.target_languages if c in job.results)
            available = available or _("none (only a whole result: leave out language)")
            raise ApiError(
                status=400,
                code="invalid_language",
                message=_("This job has no result in %(language)r. Available: %(available)s.")
                % {"language": language, "available": available},
            ) from exc


def glossary_data(entry: GlossaryEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "source_language": entry.source_language,
        "target_language": entry.target_language,
        "source_term": entry.source_term,
        "target_term": entry.target_term,
    }


class GlossarySerializer(serializers.Serializer):  # type: ignore[type-arg]
    source_language = serializers.CharField()
    target_language = serializers.CharField()
    source_term = serializers.CharField(max_length=200)
    target_term = serializers.CharField(max_length=200)


class GlossaryListView(AgencyGenericAPIView):
    roles_by_method = {"GET": READ_ROLES, "POST": ADMIN_ROLES}
    parser_classes = [JSONParser]

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        summary="The agency glossary (filter by source/target language)",
        operation_id="glossary_list",
    )
    def get(self, request: Request) -> Response:
        entries = glossary_list(
            source_language=request.query_params.get("source_language", ""),
            target_language=request.query_params.get("target_language", ""),
        )
        page = self.paginate_queryset(entries)
        return self.get_paginated_response([glossary_data(e) for e in page or []])

    @extend_schema(
        request=GlossarySerializer,
        responses={201: OpenApiTypes.OBJECT},
        summary="Add or update a glossary term (agency admins)",
    )
    def post(self, request: Request) -> Response:
        serializer = GlossarySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            entry = glossary_entry_save(
                agency=ctx_agency(request),
                actor=ctx_actor(request),
                **serializer.validated_data,
            )
        except JobRejected as exc:
            raise ApiError(status=exc.status, code=exc.code, message=exc.message) from exc
        return Response(glossary_data(entry), status=201)


class GlossaryDetailView(AgencyAPIView):
    roles_by_method = {"GET": READ_ROLES, "DELETE": ADMIN_ROLES}

    def _entry(self, entry_id: int) -> GlossaryEntry:
        try:
            return cast(GlossaryEntry, GlossaryEntry.objects.get(pk=entry_id))
        except GlossaryEntry.DoesNotExist as exc:
            raise ApiError(status=404, code="not_found", message=_("No such glossary term in your agency.")) from exc

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One glossary term")
    def get(self, request: Request, entry_id: int) -> Response:
        return Response(glossary_data(self._entry(entry_id)))

    @extend_schema(responses={204: None}, summary="Delete a glossary term (agency admins)")
    def delete(self, request: Request, entry_id: int) -> Response:
        glossary_entry_delete(agency=ctx_agency(request), actor=ctx_actor(request), entry=self._entry(entry_id))
        return Response(status=204)
