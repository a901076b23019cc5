"""Periodic audit jobs (thin: they call services). Scheduled in settings.CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

import logging

from celery import shared_task

from audit.checkpoints import ChainBroken, checkpoint_create
from tenants.models import Agency, AgencyStatus
from tenants.tasks import agency_task

logger = logging.getLogger(__name__)


@shared_task(name="audit.tasks.checkpoints_write", ignore_result=True)
def checkpoints_write() -> None:
    """Fan out one checkpoint task per active agency (agency_task drops suspended ones anyway)."""
    for agency_id in Agency.objects.filter(status=AgencyStatus.ACTIVE).values_list("pk", flat=True):
        checkpoint_write.delay(agency_id)


@agency_task(name="audit.tasks.checkpoint_write", autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600)
def checkpoint_write(agency_id: int) -> None:
    agency = Agency.objects.get(pk=agency_id)
    try:
        checkpoint_create(agency=agency)
    except ChainBroken as exc:
        # Never sign a broken chain; operators see this in the logs and `audit_verify` names the break.
        logger.error("Audit chain of agency %s is broken, no checkpoint written: %s", agency.slug, exc)


@shared_task(name="audit.tasks.retention_purge_all", ignore_result=True)
def retention_purge_all() -> None:
    """Fan out one purge task per active agency (a suspended agency's data waits for its reactivation)."""
    for agency_id in Agency.objects.filter(status=AgencyStatus.ACTIVE).values_list("pk", flat=True):
        retention_purge.delay(agency_id)


@agency_task(name="audit.tasks.retention_purge", autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600)
def retention_purge(agency_id: int) -> None:
    from audit.retention import retention_purge_run

    retention_purge_run(agency=Agency.objects.get(pk=agency_id))
