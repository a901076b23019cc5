"""Reads for jobs: lists, details, results, usage aggregates, webhooks and glossary."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from jobs.models import GlossaryEntry, Job, JobChunk, UsageRecord, Webhook, WebhookDelivery


def jobs_list(*, status: str = "", kind: str = "", document_id: int | None = None) -> QuerySet[Job]:
    queryset = Job.objects.select_related("document").order_by("-created_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    if document_id is not None:
        queryset = queryset.filter(document_id=document_id)
    return queryset


def job_get(*, job_id: int) -> Job:
    """The job of the agency in scope; Job.DoesNotExist (404) for anyone else's."""
    return cast(Job, Job.objects.select_related("document").get(pk=job_id))


def job_chunks(*, job: Job) -> QuerySet[JobChunk]:
    return JobChunk.objects.filter(job=job).order_by("level", "sort_key")


def usage_by_endpoint(*, days: int = 30) -> list[dict[str, Any]]:
    since = timezone.localdate() - timedelta(days=days - 1)
    rows = (
        UsageRecord.objects.filter(day__gte=since)
        .values("endpoint_name")
        .annotate(
            requests=Count("id"), input_tokens=Sum("input_tokens"), output_tokens=Sum("output_tokens"), cost=Sum("cost")
        )
        .order_by("endpoint_name")
    )
    return list(rows)


def usage_by_day(*, days: int = 30) -> list[dict[str, Any]]:
    """One row per day for the last `days` days (zero rows included, so the chart has no gaps)."""
    today = timezone.localdate()
    since = today - timedelta(days=days - 1)
    found = {
        row["day"]: row
        for row in UsageRecord.objects.filter(day__gte=since)
        .values("day")
        .annotate(
            requests=Count("id"), input_tokens=Sum("input_tokens"), output_tokens=Sum("output_tokens"), cost=Sum("cost")
        )
    }
    out = []
    for offset in range(days):
        day: date = since + timedelta(days=offset)
        row = found.get(day) or {"day": day, "requests": 0, "input_tokens": 0, "output_tokens": 0, "cost": 0}
        out.append(row)
    return out


def usage_by_job(*, limit: int = 50) -> QuerySet[Job]:
    return Job.objects.filter(input_tokens__gt=0).select_related("document").order_by("-created_at")[:limit]


def webhooks_list() -> QuerySet[Webhook]:
    return Webhook.objects.order_by("-created_at")


def deliveries_list(*, limit: int = 100) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.select_related("webhook", "job").order_by("-created_at")[:limit]


def glossary_list(*, source_language: str = "", target_language: str = "") -> QuerySet[GlossaryEntry]:
    queryset = GlossaryEntry.objects.all()
    if source_language:
        queryset = queryset.filter(source_language=source_language)
    if target_language:
        queryset = queryset.filter(target_language=target_language)
    return queryset.order_by("source_language", "target_language", "source_term")
