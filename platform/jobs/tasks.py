"""Celery tasks: thin, idempotent, take ids (agency first), call a service."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_init

from jobs import pipeline, services
from tenants.scope import current_agency
from tenants.tasks import agency_task


# Queues are set in settings.CELERY_TASK_ROUTES (llm: job_start_task, chunk_run_task; default: the others).
@agency_task(bind=True, max_retries=10)
def job_start_task(self: Any, agency_id: int, job_id: int) -> None:
    pipeline.job_plan(agency=current_agency(), job_id=job_id)


@agency_task(bind=True, max_retries=8)
def chunk_run_task(self: Any, agency_id: int, chunk_id: int) -> None:
    from routing.errors import AllCandidatesFailed

    try:
        pipeline.chunk_process(agency=current_agency(), chunk_id=chunk_id)
    except AllCandidatesFailed as exc:
        # Every endpoint is down or saturated right now: back off (capped); the chunk attempt counter quarantines.
        raise self.retry(exc=exc, countdown=pipeline.retry_countdown(self.request.retries)) from exc


@agency_task(bind=True, max_retries=0)
def webhook_deliver_task(self: Any, agency_id: int, delivery_id: int) -> None:
    wait = services.webhook_deliver(agency=current_agency(), delivery_id=delivery_id)
    if wait is not None:
        # The row holds the schedule; a lost countdown message is picked up by the reconciler.
        webhook_deliver_task.apply_async((agency_id, delivery_id), countdown=wait)


@shared_task
def jobs_reconcile_task() -> dict[str, int]:
    from django.db import transaction

    with transaction.atomic():
        report = services.jobs_reconcile()
    return {"documents": report.documents, "jobs": report.jobs, "deliveries": report.deliveries}


@worker_init.connect
def _warm_tokenizer(**_: Any) -> None:
    """Load, in the worker's parent process before the pool forks, what every child would otherwise load on its
    first job: the tokenizer (seconds of work) and the model client's lazily imported modules (~0.1 s)."""
    from routing.tokens import count_tokens

    count_tokens("warm-up")
    _warm_model_client()


def _warm_model_client() -> None:
    import openai

    # No request is sent: building a client and touching its chat resource only imports their modules.
    client = openai.OpenAI(api_key="warm-up", base_url="http://127.0.0.1:9/v1", max_retries=0)
    try:
        client.chat.completions  # noqa: B018 - the attribute access is the point (lazy import)
    finally:
        client.close()
