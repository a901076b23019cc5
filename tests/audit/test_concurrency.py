"""Eight writers on one agency, each with its own database connection, must produce one unbroken chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

import audit
from audit.actors import Actor
from audit.models import AuditEvent
from audit.verification import chain_verify
from tenants.scope import agency_scope

WRITERS = 8
EVENTS_EACH = 15


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_make_one_chain(agency_a, agency_b):
    if connection.vendor != "postgresql":
        # The in-memory shared-cache SQLite test database fails concurrent writers with "table is locked"
        # regardless of our locking; the quick start's file database serialises them (transaction_mode IMMEDIATE).
        pytest.skip("concurrent writers are tested on PostgreSQL")
    barrier = threading.Barrier(WRITERS, timeout=30)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            barrier.wait()
            for index in range(EVENTS_EACH):
                with transaction.atomic():
                    audit.record(
                        agency=agency_a,
                        actor=Actor.system(f"writer-{number}"),
                        action="job.created",
                        target=("job", f"{number}-{index}"),
                        details={"writer": number, "index": index},
                    )
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    with agency_scope(agency_a):
        sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
        writers = set(AuditEvent.objects.values_list("actor_id", flat=True))
    assert sequences == list(range(1, WRITERS * EVENTS_EACH + 1))
    assert len(writers) == WRITERS
    result = chain_verify(agency=agency_a)
    assert result.ok, result.problem
    assert result.events_checked == WRITERS * EVENTS_EACH
    with agency_scope(agency_b):
        assert not AuditEvent.objects.exists()
