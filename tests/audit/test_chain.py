from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

import audit
from audit.actors import Actor
from audit.canonical import GENESIS_HASH, canonical_json, event_document, event_hash
from audit.details import AuditDetailsError
from audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from audit.verification import chain_verify
from tenants.scope import agency_scope

from .conftest import fill

pytestmark = pytest.mark.django_db


def test_sequences_are_per_agency_and_linked(agency_a, agency_b):
    fill(agency_a, 3)
    fill(agency_b, 2)
    with agency_scope(agency_a):
        events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    with agency_scope(agency_b):
        assert list(AuditEvent.objects.values_list("sequence", flat=True)) == [1, 2]
        assert AuditChainHead.objects.get().sequence == 2
    assert chain_verify(agency=agency_a).ok
    assert chain_verify(agency=agency_b).ok


def test_hash_is_sha256_of_documented_canonical_json(agency_a, admin_a):
    event = audit.record(
        agency=agency_a,
        actor=Actor.user(admin_a, ip="192.0.2.7", user_agent="pytest/1"),
        action="policy.changed",
        target=admin_a,
        details={"policy_version": 3, "digest": "ab" * 32, "name": "Été"},
    )
    event.refresh_from_db()
    document = event_document(
        agency_id=agency_a.pk,
        sequence=1,
        occurred_at=event.occurred_at,
        actor_kind="user",
        actor_id=str(admin_a.pk),
        actor_label="admin-a",
        action="policy.changed",
        target_type="user",
        target_id=str(admin_a.pk),
        ip="192.0.2.7",
        user_agent="pytest/1",
        details={"policy_version": 3, "digest": "ab" * 32, "name": "Été"},
        prev_hash=GENESIS_HASH,
    )
    encoded = canonical_json(document)
    assert encoded.startswith(b'{"action":"policy.changed","actor":{"id":')
    assert "Été".encode() in encoded  # UTF-8, not \\u escapes
    assert b" " not in encoded.replace(b"pytest/1", b"")
    assert event.hash == event_hash(document)


def test_outsider_agency_cannot_see_events(agency_a, agency_b):
    fill(agency_a, 2)
    with agency_scope(agency_b):
        assert not AuditEvent.objects.exists()


def test_unique_agency_sequence(agency_a):
    fill(agency_a, 1)
    with agency_scope(agency_a):
        first = AuditEvent.objects.get()
        duplicate = AuditEvent(
            agency=agency_a,
            sequence=1,
            occurred_at=first.occurred_at,
            actor_kind="system",
            action="x.y",
            prev_hash=GENESIS_HASH,
            hash="0" * 64,
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate.save()


def test_rollback_leaves_no_event(agency_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        fill(agency_a, 1)
        raise RuntimeError("the caller's change failed")
    with agency_scope(agency_a):
        assert not AuditEvent.objects.exists()
        # The head moved back too: the next event is #1 again.
    fill(agency_a, 1)
    with agency_scope(agency_a):
        assert AuditEvent.objects.get().sequence == 1


@pytest.mark.parametrize(
    "details",
    [
        {"text": "short"},
        {"prompt": "x"},
        {"title_excerpt": "x" * 129},
        {"note": "Le présent rapport décrit les mesures prises par le ministère pour la période écoulée."},
        {"line": "a\nb"},
        {"Bad-Key": 1},
        {"nested": {"deeper": {"deepest": {"too": 1}}}},
        {"ids": list(range(101))},
        {"obj": object()},
    ],
)
def test_details_refuse_free_text_and_odd_types(agency_a, details):
    with pytest.raises(AuditDetailsError):
        audit.record(agency=agency_a, actor=Actor.system("tests"), action="document.uploaded", details=details)
    with agency_scope(agency_a):
        assert not AuditEvent.objects.exists()


def test_details_accept_ids_digests_enums_numbers_short_names(agency_a):
    from decimal import Decimal

    from tenants.models import Role

    event = audit.record(
        agency=agency_a,
        actor=Actor.system("tests"),
        action="job.succeeded",
        details={
            "job_id": 12,
            "sha256": "a" * 64,
            "role": Role.AUDITOR,
            "cost": Decimal("0.0123"),
            "ratio": 1e20,
            "filename": "Rapport annuel 2025.pdf",
            "ok": True,
            "chunks": [1, 2, 3],
        },
    )
    event.refresh_from_db()
    assert event.details["role"] == "auditor"
    assert event.details["cost"] == "0.0123"
    assert event.details["ratio"] == "1e+20"
    assert chain_verify(agency=agency_a).ok


def test_model_refuses_update_and_delete(agency_a):
    fill(agency_a, 2)
    with agency_scope(agency_a):
        event = AuditEvent.objects.first()
        event.action = "changed.action"
        with pytest.raises(AppendOnlyError):
            event.save()
        with pytest.raises(AppendOnlyError):
            event.delete()
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.filter(sequence=1).update(action="x")
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.all().delete()
        with pytest.raises(AppendOnlyError):
            AuditEvent.unscoped_objects.all().update(action="x")
        assert AuditEvent.objects.count() == 2


def test_database_trigger_refuses_update_and_delete(agency_a):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL-only; SQLite relies on the model")
    fill(agency_a, 1)
    for sql in ("UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    with agency_scope(agency_a):
        assert AuditEvent.objects.get().action == "member.added"


def test_long_lists_only_of_digests(agency_a):
    digests = [f"{index:064x}" for index in range(1000)]
    audit.record(agency=agency_a, actor=Actor.system("tests"), action="retention.purged", details={"d": digests})
    with pytest.raises(AuditDetailsError):
        audit.record(
            agency=agency_a, actor=Actor.system("tests"), action="retention.purged", details={"d": [*digests, "f" * 64]}
        )
    with pytest.raises(AuditDetailsError):
        audit.record(agency=agency_a, actor=Actor.system("tests"), action="x.y", details={"words": ["mot"] * 101})


def test_unknown_action_is_refused_and_writes_nothing(agency_a):
    from audit.services import AuditActionError

    with pytest.raises(AuditActionError, match=r"audit\.actions"):
        audit.record(agency=agency_a, actor=Actor.system("tests"), action="member.addded", details={})
    with agency_scope(agency_a):
        assert not AuditEvent.objects.exists()
