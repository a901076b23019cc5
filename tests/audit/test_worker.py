"""The periodic audit tasks on a real Celery worker (Redis broker, separate process, no eager mode)."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import pytest
from django.utils import timezone

from audit import signing
from audit.models import AuditCheckpoint, AuditEvent
from audit.tasks import checkpoints_write, retention_purge_all
from tenants.scope import agency_scope

from .conftest import fill


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_checkpoint_and_retention_tasks_run_on_a_real_worker(agency_a, agency_b, test_signing_key):
    from tests.support.workers import broker_flush, start_worker, wait_for

    with mock.patch("audit.services._now", return_value=timezone.now() - dt.timedelta(days=400)):
        fill(agency_a, 3)  # old enough for the default 365-day audit retention
    fill(agency_a, 2)
    broker_flush()
    worker = start_worker(queues=("default",), env={"AUDIT_SIGNING_KEY": test_signing_key}, name="audit")
    try:
        checkpoints_write.delay()
        wait_for(lambda: AuditCheckpoint.unscoped_objects.filter(agency=agency_a).exists(), timeout=60)
        retention_purge_all.delay()
        wait_for(lambda: AuditEvent.unscoped_objects.filter(action="retention.purged").exists(), timeout=60)
    finally:
        worker.stop()
    with agency_scope(agency_a):
        checkpoint = AuditCheckpoint.objects.order_by("sequence").first()
        purged = AuditEvent.objects.get(action="retention.purged")
        assert list(AuditEvent.objects.values_list("sequence", flat=True)) == [4, 5, 6]
    assert json.loads(checkpoint.statement)["sequence"] == 5
    assert signing.verify(checkpoint.statement.encode(), checkpoint.signature)  # signed with the configured key
    assert purged.details["through_sequence"] == 3
    assert not AuditCheckpoint.unscoped_objects.filter(agency=agency_b).exists()  # B has no events
