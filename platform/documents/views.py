"""Document pages: list, upload (drag-and-drop with progress), detail with classification change."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from documents.context import ctx_actor, ctx_agency, ctx_role
from documents.forms import ClassificationForm, UploadForm
from documents.models import Document
from documents.selectors import document_get, documents_list
from documents.services import DocumentRejected, document_classification_change, document_upload
from tenants.decorators import role_required
from tenants.models import READ_ROLES, WORK_ROLES


def _document(document_id: int) -> Document:
    try:
        return document_get(document_id=document_id)
    except Document.DoesNotExist as exc:
        raise Http404(_("No such document.")) from exc


@role_required(READ_ROLES)
def document_list(request: HttpRequest, agency_slug: str) -> HttpResponse:
    status = request.GET.get("status", "")
    return render(request, "documents/list.html", {"documents": documents_list(status=status)[:200], "status": status})


@role_required(WORK_ROLES)
@require_http_methods(["GET", "POST"])
def document_upload_view(request: HttpRequest, agency_slug: str) -> HttpResponse:
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = document_upload(
                agency=ctx_agency(request),
                actor=ctx_actor(request),
                uploaded_file=form.cleaned_data["file"],
                role=ctx_role(request),
                title=form.cleaned_data["title"],
                classification=form.cleaned_data["classification"],
                created_by=request.user,
            )
        except DocumentRejected as exc:
            if wants_json:
                return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=exc.status)
            form.add_error("file", exc.message)
            return render(request, "documents/upload.html", {"form": form}, status=exc.status)
        url = f"/a/{agency_slug}/documents/{document.pk}/"
        if wants_json:
            return JsonResponse({"id": document.pk, "url": url}, status=201)
        messages.success(request, _("Uploaded. The document is being read; you can create a job right away."))
        return redirect(url)
    if request.method == "POST" and wants_json:
        return JsonResponse({"error": {"code": "invalid", "message": _("Choose a file to upload.")}}, status=400)
    return render(request, "documents/upload.html", {"form": form}, status=400 if form.errors else 200)


@role_required(READ_ROLES)
@require_http_methods(["GET", "POST"])
def document_detail(request: HttpRequest, agency_slug: str, document_id: int) -> HttpResponse:
    document = _document(document_id)
    role = ctx_role(request)
    form = ClassificationForm(request.POST or None, initial={"classification": document.classification})
    if request.method == "POST":
        if role not in WORK_ROLES:
            raise PermissionDenied(_("Your role may read documents but not change them. Ask your agency admin."))
        if form.is_valid():
            try:
                document_classification_change(
                    agency=ctx_agency(request),
                    actor=ctx_actor(request),
                    document=document,
                    classification=form.cleaned_data["classification"],
                    role=role,
                )
                messages.success(request, _("Classification updated."))
                return redirect(request.path)
            except DocumentRejected as exc:
                form.add_error("classification", exc.message)
    return render(
        request,
        "documents/detail.html",
        {"document": document, "form": form, "jobs": document.jobs.order_by("-created_at")[:50]},
    )
