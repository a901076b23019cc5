"""Audit console pages (mounted under /a/<agency_slug>/console/audit/)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.actors import Actor
from audit.canonical import canonical_json, format_time
from audit.checkpoints import agency_verify, checkpoints_export
from audit.forms import EventFilterForm, RetentionForm
from audit.receipts import ReceiptError, job_receipt
from audit.retention import RetentionError, retention_settings_update
from audit.selectors import (
    EventFilters,
    FilterError,
    action_names,
    chain_head,
    checkpoint_latest,
    checkpoints_recent,
    event_as_dict,
    events_export_rows,
    events_page,
    filters_from,
    job_for_receipt,
    retention_settings,
)
from audit.services import export_record
from audit.verification import EVENT_COLUMNS, CheckpointRef, chain_verify
from tenants.decorators import role_required
from tenants.models import ADMIN_ROLES, AUDIT_ROLES, READ_ROLES
from tenants.scope import agency_scope

STATUS_WALK_LIMIT = 50_000


@require_GET
@role_required(AUDIT_ROLES)
def events(request: HttpRequest, agency_slug: str) -> HttpResponse:
    agency = request.agency  # type: ignore[attr-defined]
    form = EventFilterForm(request.GET or None)
    page: list[Any] = []
    next_cursor = None
    error = ""
    try:
        filters = filters_from(request.GET)
        before = int(request.GET["cursor"]) if request.GET.get("cursor", "").isdigit() else None
        page, next_cursor = events_page(filters=filters, before=before)
    except FilterError as exc:
        error = str(exc)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form,
        "events": page,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "filter_items": [(key, value) for key, value in query.items() if value],
        "error": error,
        "status": _chain_status(agency),
        "action_names": action_names(),
    }
    return render(request, "audit/events.html", context, status=400 if error else 200)


def _chain_status(agency: Any) -> dict[str, Any]:
    """Cheap status for every page view: verify only what the latest checkpoint does not vouch for yet."""
    head = chain_head(agency=agency)
    latest = checkpoint_latest(agency=agency)
    after = CheckpointRef(latest.sequence, latest.head_hash) if latest is not None else None
    pending = (head.sequence if head else 0) - (latest.sequence if latest else 0)
    # Keep the page fast: past this many unvouched events, the full check is on the verify page.
    recent = chain_verify(agency=agency, after=after, check_head=False) if pending <= STATUS_WALK_LIMIT else None
    return {"head": head, "latest": latest, "recent": recent, "pending": pending}


@require_GET
@role_required(AUDIT_ROLES)
def verify(request: HttpRequest, agency_slug: str) -> HttpResponse:
    result = agency_verify(agency=request.agency)  # type: ignore[attr-defined]
    return render(request, "audit/verify.html", {"result": result}, status=200)


@require_POST
@role_required(AUDIT_ROLES)  # type: ignore[arg-type]  # streams: a StreamingHttpResponse
def export(request: HttpRequest, agency_slug: str) -> HttpResponseBase:
    agency = request.agency  # type: ignore[attr-defined]
    export_format = request.POST.get("format", "")
    if export_format not in ("csv", "json"):
        messages.error(request, _("Choose CSV or JSON for the export."))
        return redirect("audit_console:events", agency_slug=agency_slug)
    try:
        filters = filters_from(request.POST)
    except FilterError as exc:
        messages.error(request, str(exc))
        return redirect("audit_console:events", agency_slug=agency_slug)
    through = export_record(
        agency=agency, actor=Actor.from_request(request), export_format=export_format, filters=filters.as_details()
    )
    rows = _rows_in_scope(agency, filters, through)
    filename = f"audit-{agency.slug}-through-{through}.{export_format}"
    body = _csv_lines(rows) if export_format == "csv" else _json_lines(rows, agency)
    content_type = "text/csv; charset=utf-8" if export_format == "csv" else "application/json"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _rows_in_scope(agency: Any, filters: EventFilters, through: int) -> Iterator[Any]:
    # The body streams after the middleware has left the agency scope: re-enter it for the generator.
    with agency_scope(agency):
        for event in events_export_rows(filters=filters):
            if event.sequence > through:
                return
            yield event


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EVENT_COLUMNS)
    for event in rows:
        yield writer.writerow([_csv_safe(_csv_cell(event, column)) for column in EVENT_COLUMNS])


def _csv_cell(event: Any, column: str) -> Any:
    # The header is EVENT_COLUMNS too, so a cell can never drift from its column.
    if column == "occurred_at":
        return format_time(event.occurred_at)
    if column == "details":
        return canonical_json(event.details).decode("utf-8")
    value = getattr(event, column)
    return "" if value is None else value


def _csv_safe(value: Any) -> str:
    # Spreadsheet formula injection: a cell starting with = + - @ would run as a formula when opened.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _json_lines(rows: Iterator[Any], agency: Any) -> Iterator[str]:
    header = {"format": "tramontane.audit.events/v1", "agency": {"id": agency.pk, "slug": agency.slug}}
    yield json.dumps(header)[:-1] + ', "events": ['
    first = True
    for event in rows:
        yield ("" if first else ",") + "\n" + json.dumps(event_as_dict(event), ensure_ascii=False)
        first = False
    yield "\n]}\n"


@require_GET
@role_required(AUDIT_ROLES)
def checkpoints(request: HttpRequest, agency_slug: str) -> HttpResponse:
    agency = request.agency  # type: ignore[attr-defined]
    if request.GET.get("download"):
        body = json.dumps(checkpoints_export(agency=agency), indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="audit-checkpoints-{agency.slug}.json"'
        return response
    from audit import signing

    context = {
        "checkpoints": checkpoints_recent(agency=agency, limit=50),
        "public_key": signing.public_key_b64(),
        "key_id": signing.key_id(),
    }
    return render(request, "audit/checkpoints.html", context)


@require_GET
@role_required(READ_ROLES)
def job_receipt_download(request: HttpRequest, agency_slug: str, job_id: int) -> HttpResponse:
    try:
        receipt = job_receipt(job=job_for_receipt(job_id=job_id))
    except ReceiptError as exc:
        return render(request, "audit/receipt_unavailable.html", {"job_id": job_id, "reason": str(exc)}, status=409)
    response = HttpResponse(json.dumps(receipt, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="receipt-job-{job_id}.json"'
    return response


@require_http_methods(["GET", "POST"])
@role_required(AUDIT_ROLES)
def retention(request: HttpRequest, agency_slug: str) -> HttpResponse:
    agency = request.agency  # type: ignore[attr-defined]
    current = retention_settings(agency=agency)
    can_edit = request.membership.role in ADMIN_ROLES  # type: ignore[attr-defined]
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Auditors are read-only: ask an agency admin to change retention."))
        form = RetentionForm(request.POST)
        if form.is_valid():
            try:
                retention_settings_update(agency=agency, actor=Actor.from_request(request), **form.cleaned_data)
            except RetentionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Retention settings saved."))
                return redirect("audit_console:retention", agency_slug=agency_slug)
    else:
        form = RetentionForm(
            initial={
                name: getattr(current, name)
                for name in (
                    "document_retention_days",
                    "result_retention_days",
                    "audit_retention_days",
                    "legal_hold",
                    "legal_hold_reference",
                )
            }
        )
    status = 400 if request.method == "POST" else 200
    return render(
        request, "audit/retention.html", {"form": form, "settings": current, "can_edit": can_edit}, status=status
    )
