"""Tamper detection on PostgreSQL: what a database superuser can do, and that verification names it."""

from __future__ import annotations

import json

import pytest

from audit.canonical import event_document, event_hash
from audit.checkpoints import agency_verify, checkpoint_create, checkpoints_export
from audit.models import AuditEvent
from audit.verification import chain_verify
from tenants.scope import agency_scope

from .conftest import fill

pytestmark = pytest.mark.django_db


def _problem(agency, **kwargs):
    result = agency_verify(agency=agency, **kwargs)
    assert not result.ok
    return result.problem


def test_clean_chain_verifies(agency_a, agency_b, test_signing_key):
    fill(agency_a, 20)
    fill(agency_b, 5)
    checkpoint_create(agency=agency_a)
    result = agency_verify(agency=agency_a)
    assert result.ok
    assert result.events_checked == 20
    assert result.checkpoints_checked == 1


def test_edit_with_triggers_disabled_is_reported_at_its_sequence(agency_a, agency_b, raw_sql):
    fill(agency_a, 10)
    fill(agency_b, 10)
    raw_sql(
        "UPDATE audit_auditevent SET details = '{\"index\": 99}' WHERE agency_id = %s AND sequence = 6",
        [agency_a.pk],
    )
    problem = chain_verify(agency=agency_a).problem
    assert (problem.kind, problem.sequence) == ("edited", 6)
    assert chain_verify(agency=agency_b).ok  # the other agency's chain is untouched


def test_deleted_row_is_reported_missing(agency_a, raw_sql):
    fill(agency_a, 10)
    raw_sql("DELETE FROM audit_auditevent WHERE agency_id = %s AND sequence = 4", [agency_a.pk])
    problem = chain_verify(agency=agency_a).problem
    assert (problem.kind, problem.sequence) == ("missing", 4)


def test_deleted_tail_is_reported_missing(agency_a, raw_sql):
    fill(agency_a, 10)
    raw_sql("DELETE FROM audit_auditevent WHERE agency_id = %s AND sequence >= 9", [agency_a.pk])
    problem = chain_verify(agency=agency_a).problem
    assert (problem.kind, problem.sequence) == ("missing", 9)


def test_swapped_rows_are_reported_reordered(agency_a, raw_sql):
    fill(agency_a, 10)
    for old, new in ((3, 0), (7, 3), (0, 7)):  # one at a time: (agency, sequence) stays unique
        raw_sql(
            "UPDATE audit_auditevent SET sequence = %s WHERE agency_id = %s AND sequence = %s",
            [new, agency_a.pk, old],
        )
    problem = chain_verify(agency=agency_a).problem
    assert (problem.kind, problem.sequence) == ("reordered", 3)


def test_deleted_then_renumbered_is_reported_missing(agency_a, raw_sql):
    fill(agency_a, 10)
    raw_sql("DELETE FROM audit_auditevent WHERE agency_id = %s AND sequence = 5", [agency_a.pk])
    raw_sql(
        "UPDATE audit_auditevent SET sequence = sequence - 1 WHERE agency_id = %s AND sequence > 5",
        [agency_a.pk],
    )
    problem = chain_verify(agency=agency_a).problem
    assert (problem.kind, problem.sequence) == ("missing", 5)


def _rewrite_from(agency, raw_sql, start: int) -> None:
    """A consistent rewrite: change event `start`, recompute every later hash and the head, as a superuser can."""
    with agency_scope(agency):
        rows = list(AuditEvent.objects.order_by("sequence"))
    prev = None
    for event in rows:
        if event.sequence < start:
            prev = event.hash
            continue
        details = {"index": 1234} if event.sequence == start else event.details
        digest = event_hash(
            event_document(
                agency_id=agency.pk,
                sequence=event.sequence,
                occurred_at=event.occurred_at,
                actor_kind=event.actor_kind,
                actor_id=event.actor_id,
                actor_label=event.actor_label,
                action=event.action,
                target_type=event.target_type,
                target_id=event.target_id,
                ip=event.ip,
                user_agent=event.user_agent,
                details=details,
                prev_hash=prev,
            )
        )
        raw_sql(
            "UPDATE audit_auditevent SET details = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [json.dumps(details), prev, digest, event.pk],
        )
        prev = digest
    raw_sql("UPDATE audit_auditchainhead SET head_hash = %s WHERE agency_id = %s", [prev, agency.pk])


def test_consistent_rewrite_passes_the_chain_but_not_the_exported_checkpoint(agency_a, raw_sql, test_signing_key):
    fill(agency_a, 5)
    checkpoint_create(agency=agency_a)
    fill(agency_a, 5)
    checkpoint_create(agency=agency_a)
    exported = json.loads(json.dumps(checkpoints_export(agency=agency_a)))
    fill(agency_a, 2)
    # The attacker also deletes the stored checkpoints: only the exported file remains.
    raw_sql("DELETE FROM audit_auditcheckpoint WHERE agency_id = %s", [agency_a.pk])
    _rewrite_from(agency_a, raw_sql, 7)

    assert chain_verify(agency=agency_a).ok  # self-consistent: the chain alone cannot tell
    problem = _problem(agency_a, export=exported)
    assert (problem.kind, problem.sequence, problem.since_sequence) == ("rewritten", 10, 5)


def test_consistent_rewrite_is_caught_by_stored_checkpoints(agency_a, raw_sql, test_signing_key):
    fill(agency_a, 8)
    checkpoint_create(agency=agency_a)
    _rewrite_from(agency_a, raw_sql, 2)
    problem = _problem(agency_a)
    assert (problem.kind, problem.sequence, problem.since_sequence) == ("rewritten", 8, 0)


def test_forged_checkpoint_file_is_refused(agency_a, test_signing_key):
    from audit.checkpoints import CheckpointFileError

    fill(agency_a, 3)
    checkpoint_create(agency=agency_a)
    exported = checkpoints_export(agency=agency_a)
    exported["checkpoints"][0]["statement"]["head_hash"] = "f" * 64
    with pytest.raises(CheckpointFileError, match="signature"):
        agency_verify(agency=agency_a, export=exported)
