"""Documents API: thin views over documents.services and documents.selectors."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import AgencyAPIView, AgencyGenericAPIView
from api.errors import ApiError
from documents.context import ctx_actor, ctx_agency, ctx_role
from documents.models import Document
from documents.selectors import document_get, documents_list
from documents.services import DocumentRejected, document_classification_change, document_upload


def document_data(document: Document) -> dict[str, Any]:
    extraction = document.extraction or {}
    return {
        "id": document.pk,
        "title": document.title,
        "original_name": document.original_name,
        "sha256": document.sha256,
        "size": document.size,
        "mime_type": document.mime_type,
        "classification": document.classification,
        "language": document.language,
        "status": document.status,
        "error": {"code": document.error_code, "message": document.error_display} if document.error_code else None,
        "pages": extraction.get("pages"),
        "blocks": len(extraction.get("blocks", [])),
        "chars": extraction.get("chars"),
        "created_at": document.created_at.isoformat(),
    }


def _get(document_id: int) -> Document:
    try:
        return document_get(document_id=document_id)
    except Document.DoesNotExist as exc:
        raise ApiError(status=404, code="not_found", message=_("No such document in your agency.")) from exc


def _field(request: Request, name: str) -> Any:
    data = request.data
    return (data.get(name) if hasattr(data, "get") else None) or ""


class UploadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField(help_text="PDF, DOCX, ODT, HTML, TXT or Markdown (detected by content).")
    classification = serializers.CharField(required=False, allow_blank=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ClassificationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    classification = serializers.CharField()


class DocumentListView(AgencyGenericAPIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[OpenApiParameter("status", str, description="processing | ready | rejected")],
        responses=OpenApiTypes.OBJECT,
        summary="List the agency's documents",
        operation_id="documents_list",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(documents_list(status=request.query_params.get("status", "")))
        return self.get_paginated_response([document_data(d) for d in page or []])

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: OpenApiTypes.OBJECT},
        summary="Upload a document",
    )
    def post(self, request: Request) -> Response:
        uploaded = request.FILES.get("file")
        if uploaded is None:
            raise ApiError(
                status=400,
                code="missing_file",
                message=_("Send the document as multipart/form-data in a field named 'file'."),
            )
        try:
            document = document_upload(
                agency=ctx_agency(request),
                actor=ctx_actor(request),
                uploaded_file=uploaded,
                role=ctx_role(request),
                title=str(_field(request, "title")),
                classification=str(_field(request, "classification")),
                created_by=request.user if getattr(request, "api_key", None) is None else None,
                created_by_key=getattr(request, "api_key", None),
            )
        except DocumentRejected as exc:
            raise ApiError(status=exc.status, code=exc.code, message=exc.message) from exc
        return Response(document_data(document), status=201)


class DocumentDetailView(AgencyAPIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One document")
    def get(self, request: Request, document_id: int) -> Response:
        return Response(document_data(_get(document_id)))

    @extend_schema(
        request=ClassificationSerializer,
        responses=OpenApiTypes.OBJECT,
        summary="Change a document's classification (members raise, admins may lower)",
    )
    def patch(self, request: Request, document_id: int) -> Response:
        document = _get(document_id)
        classification = str(_field(request, "classification"))
        if not classification:
            raise ApiError(status=400, code="missing_classification", message=_('Send {"classification": ...}.'))
        try:
            document = document_classification_change(
                agency=ctx_agency(request),
                actor=ctx_actor(request),
                document=document,
                classification=classification,
                role=ctx_role(request),
            )
        except DocumentRejected as exc:
            raise ApiError(status=exc.status, code=exc.code, message=exc.message) from exc
        return Response(document_data(document))
