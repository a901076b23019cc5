"""Audit API: events (cursor pagination), chain verification, checkpoint export, job receipts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import AgencyAPIView
from api.errors import ApiError
from audit.checkpoints import agency_verify, checkpoints_export
from audit.receipts import ReceiptError, job_receipt
from audit.selectors import (
    DEFAULT_PAGE,
    MAX_PAGE,
    FilterError,
    event_as_dict,
    events_page,
    filters_from,
    job_for_receipt,
)
from tenants.models import AUDIT_ROLES, READ_ROLES

FILTER_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.STR, description="From this date or date-time (ISO 8601)."),
    OpenApiParameter("until", OpenApiTypes.STR, description="Up to this date (inclusive) or date-time."),
    OpenApiParameter("actor", OpenApiTypes.STR, description="'kind:id' (e.g. user:12, api_key:3) or a username."),
    OpenApiParameter("action", OpenApiTypes.STR, description="An action (job.created) or a prefix ending in '.'."),
    OpenApiParameter("target_type", OpenApiTypes.STR, description="e.g. job, document, membership."),
    OpenApiParameter("target_id", OpenApiTypes.STR),
    OpenApiParameter("cursor", OpenApiTypes.INT, description="next_cursor of the previous page."),
    OpenApiParameter("limit", OpenApiTypes.INT, description=f"Page size, at most {MAX_PAGE}."),
]


def _int_param(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(status=400, code="invalid_parameter", message=f"{name} must be a whole number.") from exc


class AuditEventsView(AgencyAPIView):
    roles_by_method = {"GET": AUDIT_ROLES, "HEAD": AUDIT_ROLES, "OPTIONS": AUDIT_ROLES}

    @extend_schema(
        summary="Audit events of your agency, newest first (keyset pagination with `cursor`)",
        parameters=FILTER_PARAMETERS,
        responses=inline_serializer(
            "AuditEventPage",
            {
                "results": serializers.ListField(child=serializers.DictField()),
                "next_cursor": serializers.IntegerField(allow_null=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        try:
            filters = filters_from(request.query_params)
        except FilterError as exc:
            raise ApiError(status=400, code="invalid_filter", message=str(exc)) from exc
        before = _int_param(request, "cursor", None)
        limit = _int_param(request, "limit", DEFAULT_PAGE) or DEFAULT_PAGE
        events, next_cursor = events_page(filters=filters, before=before, limit=limit)
        return Response({"results": [event_as_dict(event) for event in events], "next_cursor": next_cursor})


class AuditVerifyView(AgencyAPIView):
    roles_by_method = {"GET": AUDIT_ROLES, "HEAD": AUDIT_ROLES, "OPTIONS": AUDIT_ROLES}

    @extend_schema(
        summary="Verify your agency's audit chain against its signed checkpoints",
        description="status is 'ok', or 'broken' with problem.kind (edited, missing, reordered, rewritten) and "
        "problem.sequence, the first bad sequence number.",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        result = agency_verify(agency=request.agency)  # type: ignore[attr-defined]
        return Response(result.as_dict())


class AuditCheckpointsView(AgencyAPIView):
    roles_by_method = {"GET": AUDIT_ROLES, "HEAD": AUDIT_ROLES, "OPTIONS": AUDIT_ROLES}

    @extend_schema(
        summary="Export your agency's signed checkpoints (keep this file outside the platform)",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        return Response(checkpoints_export(agency=request.agency))  # type: ignore[attr-defined]


class JobReceiptView(AgencyAPIView):
    roles_by_method = {"GET": READ_ROLES, "HEAD": READ_ROLES, "OPTIONS": READ_ROLES}

    @extend_schema(
        summary="Signed processing receipt of a finished job",
        description="Verify it with `manage.py receipt_verify` or with the public key alone (docs/audit.md).",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request, job_id: int) -> Response:
        return Response(
            receipt_for(job_id),
            headers={"Content-Disposition": f'attachment; filename="receipt-job-{job_id}.json"'},
        )


def receipt_for(job_id: int) -> dict[str, Any]:
    """The receipt of a job of the agency in scope (another agency's job is a 404)."""
    try:
        return job_receipt(job=job_for_receipt(job_id=job_id))
    except ReceiptError as exc:
        raise ApiError(status=409, code="job_not_finished", message=str(exc)) from exc
