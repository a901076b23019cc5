"""Audit chain benchmark: append rate with the chain vs a plain insert, and verification rate.

Run against PostgreSQL (the numbers that matter):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tramontane_audit .venv/bin/python bench/audit.py [--events 2000]

It creates a throwaway database (test_<name>, like the test runner), migrates it, measures, and drops it.
Each append is its own transaction, as in production (one service call = one transaction).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events per measurement (default 2000)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    if connection.vendor != "postgresql":
        print(f"warning: measuring on {connection.vendor}; the reference numbers are PostgreSQL's")
    state = setup_databases(verbosity=0, interactive=False)
    try:
        run(args.events)
    finally:
        teardown_databases(state, verbosity=0)


def run(count: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    import audit
    from audit.actors import Actor
    from audit.models import AuditEvent
    from audit.verification import chain_verify
    from tenants.models import Agency
    from tenants.scope import agency_scope

    chained = Agency.objects.create(slug="bench-chain", name="Bench chain")
    plain = Agency.objects.create(slug="bench-plain", name="Bench plain")
    actor = Actor.system("bench")
    details = {"job_id": 123, "sha256": "a" * 64, "classification": "internal"}

    started = time.perf_counter()
    for index in range(count):
        with transaction.atomic():
            audit.record(agency=chained, actor=actor, action="job.created", target=("job", index), details=details)
    chain_seconds = time.perf_counter() - started

    # The same row, inserted without head lock, canonical JSON or hashing: what an unchained log costs.
    started = time.perf_counter()
    with agency_scope(plain):
        for index in range(count):
            with transaction.atomic():
                AuditEvent(
                    agency=plain,
                    sequence=index + 1,
                    occurred_at=timezone.now(),
                    actor_kind="system",
                    actor_id="bench",
                    actor_label="bench",
                    action="job.created",
                    target_type="job",
                    target_id=str(index),
                    details=details,
                    prev_hash="0" * 64,
                    hash="0" * 64,
                ).save()
    plain_seconds = time.perf_counter() - started

    started = time.perf_counter()
    result = chain_verify(agency=chained)
    verify_seconds = time.perf_counter() - started
    assert result.ok and result.events_checked == count, result.as_dict()

    chain_rate, plain_rate = count / chain_seconds, count / plain_seconds
    print(f"database: {connection.vendor}, events per measurement: {count}")
    print(f"append with chain : {chain_rate:9.0f} events/s ({1000 * chain_seconds / count:.3f} ms/event)")
    print(f"plain insert      : {plain_rate:9.0f} events/s ({1000 * plain_seconds / count:.3f} ms/event)")
    print(
        f"chain / plain     : {chain_rate / plain_rate:9.2f} x throughput (cost {chain_seconds / plain_seconds:.2f}x)"
    )
    print(f"verification      : {count / verify_seconds:9.0f} events/s ({verify_seconds:.3f} s for {count})")


if __name__ == "__main__":
    main()
