"""Retention: settings bounds, legal hold, purge of the expired audit prefix that keeps verification working."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.actors import Actor
from audit.checkpoints import agency_verify, checkpoints_export
from audit.models import AuditChainHead, AuditEvent
from audit.retention import RetentionError, retention_purge_run, retention_settings_update
from tenants.scope import agency_scope

from .conftest import fill

pytestmark = pytest.mark.django_db


def _fill_at(agency, count: int, moment: dt.datetime) -> None:
    with mock.patch("audit.services._now", return_value=moment):
        fill(agency, count)


def _settings(agency, **overrides):
    values = {
        "document_retention_days": 30,
        "result_retention_days": 30,
        "audit_retention_days": 365,
        "legal_hold": False,
        "legal_hold_reference": "",
    }
    values.update(overrides)
    return retention_settings_update(agency=agency, actor=Actor.system("tests"), **values)


def test_audit_retention_is_at_least_six_months(agency_a):
    with pytest.raises(RetentionError, match="183"):
        _settings(agency_a, audit_retention_days=182)
    saved = _settings(agency_a, audit_retention_days=183, legal_hold=True, legal_hold_reference="TA-2026-12")
    assert saved.audit_retention_days == 183
    with agency_scope(agency_a):
        event = AuditEvent.objects.get(action="retention.changed")
    assert set(event.details["changed"]) >= {"audit_retention_days", "legal_hold"}


def test_purge_removes_expired_prefix_and_chain_still_verifies(agency_a, agency_b, test_signing_key):
    now = timezone.now()
    _fill_at(agency_a, 6, now - dt.timedelta(days=400))
    _fill_at(agency_b, 6, now - dt.timedelta(days=400))
    fill(agency_a, 4)
    _settings(agency_a)  # event #11: retention.changed
    summary = retention_purge_run(agency=agency_a, now=now)
    assert summary["audit_events"] == 6
    with agency_scope(agency_a):
        remaining = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
        purged = AuditEvent.objects.get(action="retention.purged")
        head = AuditChainHead.objects.get()
    assert remaining == [7, 8, 9, 10, 11, 12]
    assert purged.details["through_sequence"] == 6
    assert purged.details["count"] == 6
    assert purged.details["anchor_hash"] == head.base_hash
    assert head.base_sequence == 6

    result = agency_verify(agency=agency_a, export=checkpoints_export(agency=agency_a))
    assert result.ok, result.problem
    assert result.first_sequence == 7
    with agency_scope(agency_b):
        assert AuditEvent.objects.count() == 6  # the other agency keeps its events


def test_purged_chain_still_catches_edits(agency_a, raw_sql, test_signing_key):
    now = timezone.now()
    _fill_at(agency_a, 3, now - dt.timedelta(days=400))
    fill(agency_a, 3)
    retention_purge_run(agency=agency_a, now=now)
    raw_sql("UPDATE audit_auditevent SET actor_label = 'x' WHERE agency_id = %s AND sequence = 4", [agency_a.pk])
    problem = agency_verify(agency=agency_a).problem
    assert (problem.kind, problem.sequence) == ("edited", 4)


def test_legal_hold_suspends_purge(agency_a, test_signing_key):
    now = timezone.now()
    _fill_at(agency_a, 5, now - dt.timedelta(days=400))
    _settings(agency_a, legal_hold=True, legal_hold_reference="case 12")
    assert retention_purge_run(agency=agency_a, now=now) == {"skipped": "legal_hold"}
    with agency_scope(agency_a):
        assert AuditEvent.objects.count() == 6


def test_recent_events_are_never_purged_even_with_short_setting(agency_a, test_signing_key):
    now = timezone.now()
    _fill_at(agency_a, 4, now - dt.timedelta(days=100))
    assert retention_purge_run(agency=agency_a, now=now)["audit_events"] == 0
    with agency_scope(agency_a):
        assert AuditEvent.objects.count() == 4


def test_database_refuses_purging_young_events(agency_a):
    if connection.vendor != "postgresql":
        pytest.skip("the purge function and trigger are PostgreSQL-only")
    fill(agency_a, 3)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT audit_purge_prefix(%s, %s)", [agency_a.pk, 3])
    with agency_scope(agency_a):
        assert AuditEvent.objects.count() == 3


def test_deleting_a_prefix_and_moving_the_anchor_is_caught(agency_a, raw_sql, test_signing_key):
    """An attacker deletes recent events #1-#3 and moves the anchor to #3: no retention purge justifies it."""
    fill(agency_a, 6)
    with agency_scope(agency_a):
        third = AuditEvent.objects.get(sequence=3).hash
    raw_sql("DELETE FROM audit_auditevent WHERE agency_id = %s AND sequence <= 3", [agency_a.pk])
    raw_sql(
        "UPDATE audit_auditchainhead SET base_sequence = 3, base_hash = %s WHERE agency_id = %s",
        [third, agency_a.pk],
    )
    problem = agency_verify(agency=agency_a).problem
    assert (problem.kind, problem.sequence) == ("missing", 1)


def test_second_purge_keeps_verifying(agency_a, test_signing_key):
    now = timezone.now()
    earlier = now - dt.timedelta(days=500)
    _fill_at(agency_a, 3, now - dt.timedelta(days=900))  # #1-#3
    with mock.patch("audit.services._now", return_value=earlier):
        assert retention_purge_run(agency=agency_a, now=earlier)["audit_events"] == 3  # logs #4
    _fill_at(agency_a, 2, now - dt.timedelta(days=450))  # #5, #6
    fill(agency_a, 1)  # #7
    assert agency_verify(agency=agency_a).ok
    assert retention_purge_run(agency=agency_a, now=now)["audit_events"] == 3  # #4-#6; logs #8
    result = agency_verify(agency=agency_a)
    assert result.ok, result.problem
    assert result.first_sequence == 7
    with agency_scope(agency_a):
        assert AuditChainHead.objects.get().base_sequence == 6


def test_documents_and_results_past_retention_are_purged_and_audited(agency_a, agency_b, test_signing_key):
    from documents.models import Document, DocumentStatus
    from jobs.models import Job

    now = timezone.now()
    with agency_scope(agency_a):
        old = Document.objects.create(
            agency=agency_a,
            title="Old report",
            file="",
            sha256="1" * 64,
            size=5,
            mime_type="text/plain",
            classification="internal",
            status=DocumentStatus.READY,
            extraction={"blocks": [{"text": "secret"}]},
        )
        young = Document.objects.create(
            agency=agency_a,
            title="Young",
            file="",
            sha256="2" * 64,
            size=5,
            mime_type="text/plain",
            classification="internal",
            status=DocumentStatus.READY,
        )
        Document.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=40))
        job = Job.objects.create(
            agency=agency_a,
            document=young,
            kind="summarise",
            status="succeeded",
            result_markdown="# summary",
            result_sha256="3" * 64,
            finished_at=now - dt.timedelta(days=40),
        )
    with agency_scope(agency_b):
        other = Document.objects.create(
            agency=agency_b,
            title="B",
            file="",
            sha256="4" * 64,
            size=5,
            mime_type="text/plain",
            classification="internal",
            status=DocumentStatus.READY,
        )
        Document.objects.filter(pk=other.pk).update(created_at=now - dt.timedelta(days=400))
    _settings(agency_a, document_retention_days=30, result_retention_days=30)

    summary = retention_purge_run(agency=agency_a, now=now)
    assert summary["documents"] == {"documents": 1, "results": 1}
    with agency_scope(agency_a):
        old.refresh_from_db()
        young.refresh_from_db()
        job.refresh_from_db()
        event = AuditEvent.objects.get(action="retention.purged", details__scope="documents")
    assert (old.status, old.extraction) == (DocumentStatus.PURGED, None)
    assert young.status == DocumentStatus.READY
    assert job.result_markdown == ""
    assert event.details["document_sha256"] == ["1" * 64]
    assert event.details["result_sha256"] == ["3" * 64]
    with agency_scope(agency_b):
        other.refresh_from_db()
    assert other.status == DocumentStatus.READY  # B has its own settings and its own run
    assert agency_verify(agency=agency_a).ok


def test_legal_hold_keeps_documents(agency_a, test_signing_key):
    from documents.models import Document, DocumentStatus

    now = timezone.now()
    with agency_scope(agency_a):
        old = Document.objects.create(
            agency=agency_a,
            title="Old",
            file="",
            sha256="1" * 64,
            size=5,
            mime_type="text/plain",
            classification="internal",
            status=DocumentStatus.READY,
        )
        Document.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=400))
    _settings(agency_a, document_retention_days=30, legal_hold=True, legal_hold_reference="TA Paris 26/123")
    retention_purge_run(agency=agency_a, now=now)
    with agency_scope(agency_a):
        old.refresh_from_db()
        assert old.status == DocumentStatus.READY
        assert not AuditEvent.objects.filter(action="retention.purged").exists()
