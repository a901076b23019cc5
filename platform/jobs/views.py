"""Job pages: create, list (filter by status and kind), detail with live progress, result view and downloads."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from documents.context import ctx_actor, ctx_agency
from documents.models import DocumentStatus
from documents.selectors import document_get, documents_list
from jobs.api import FORMATS, UnknownResultLanguage, result_download_response
from jobs.forms import JobForm
from jobs.models import Job, JobKind, JobStatus
from jobs.params import SUPPORTED_LANGUAGES
from jobs.selectors import job_chunks, job_get, jobs_list
from jobs.services import JobRejected, job_cancel, job_create
from tenants.decorators import role_required
from tenants.models import READ_ROLES, WORK_ROLES


def _job(job_id: int) -> Job:
    try:
        return job_get(job_id=job_id)
    except Job.DoesNotExist as exc:
        raise Http404(_("No such job.")) from exc


@role_required(READ_ROLES)
def job_list(request: HttpRequest, agency_slug: str) -> HttpResponse:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    status = status if status in JobStatus.values else ""
    kind = kind if kind in JobKind.values else ""
    return render(
        request,
        "jobs/list.html",
        {
            "jobs": jobs_list(status=status, kind=kind)[:200],
            "status": status,
            "kind": kind,
            "statuses": JobStatus.choices,
            "kinds": JobKind.choices,
        },
    )


@role_required(WORK_ROLES)
@require_http_methods(["GET", "POST"])
def job_create_view(request: HttpRequest, agency_slug: str) -> HttpResponse:
    choices = [(d.pk, d.title) for d in documents_list().exclude(status=DocumentStatus.REJECTED)[:500]]
    initial = {"document": request.GET.get("document"), "kind": JobKind.SUMMARISE}
    form = JobForm(request.POST or None, documents=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job, _created = job_create(
                agency=ctx_agency(request),
                actor=ctx_actor(request),
                document=document_get(document_id=form.cleaned_data["document"]),
                kind=form.cleaned_data["kind"],
                params=form.params(),
                idempotency_key=request.POST.get("idempotency_key", ""),
                created_by=request.user,
            )
            return redirect(f"/a/{agency_slug}/jobs/{job.pk}/")
        except JobRejected as exc:
            form.add_error(None, exc.message)
    return render(
        request, "jobs/create.html", {"form": form, "has_documents": bool(choices)}, status=400 if form.errors else 200
    )


@role_required(READ_ROLES)
def job_detail(request: HttpRequest, agency_slug: str, job_id: int) -> HttpResponse:
    job = _job(job_id)
    return render(
        request,
        "jobs/detail.html",
        {
            "job": job,
            "formats": list(FORMATS),
            "chunks": job_chunks(job=job).filter(level=0)[:500],
            "translations": [
                {"code": code, "name": SUPPORTED_LANGUAGES.get(code, code), "markdown": job.results[code]}
                for code in job.target_languages  # jsonb keeps no key order: the requested order comes from params
                if code in job.results
            ],
        },
    )


@role_required(READ_ROLES)
def job_status_fragment(request: HttpRequest, agency_slug: str, job_id: int) -> HttpResponse:
    """The small fragment the job page polls for live progress."""
    # polled: the page under it does not show the result yet (it reloads when this says the job ended).
    return render(request, "jobs/_status.html", {"job": _job(job_id), "polled": True})


@role_required(WORK_ROLES)
@require_POST
def job_cancel_view(request: HttpRequest, agency_slug: str, job_id: int) -> HttpResponse:
    try:
        job_cancel(agency=ctx_agency(request), actor=ctx_actor(request), job=_job(job_id))
        messages.success(request, _("The job was cancelled."))
    except JobRejected as exc:
        messages.error(request, exc.message)
    return redirect(f"/a/{agency_slug}/jobs/{job_id}/")


@role_required(READ_ROLES)
def job_download(request: HttpRequest, agency_slug: str, job_id: int, fmt: str) -> HttpResponse:
    job = _job(job_id)
    if fmt not in FORMATS or job.status != JobStatus.SUCCEEDED:
        raise Http404(_("No such result."))
    language = request.GET.get("language", "").strip().lower()
    try:
        return result_download_response(request, job, fmt, language)
    except UnknownResultLanguage as exc:
        raise Http404(_("No such result.")) from exc
