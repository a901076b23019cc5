"""Audit fixtures: helpers to fill a chain and to tamper with it the way a database superuser could."""

from __future__ import annotations

import pytest
from django.db import connection

import audit
from audit.actors import Actor
from tenants.models import Agency


def fill(agency: Agency, count: int, *, action: str = "member.added") -> list[int]:
    events = [
        audit.record(
            agency=agency,
            actor=Actor.system("tests"),
            action=action,
            target=("membership", str(index)),
            details={"index": index, "role": "member"},
        )
        for index in range(count)
    ]
    return [event.sequence for event in events]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Fixture users hash passwords; the slow default hasher adds nothing to what these tests check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def raw_sql():
    """Run SQL with the append-only triggers disabled (superuser only), as an attacker with DB access would."""
    if connection.vendor != "postgresql":
        pytest.skip("tamper tests need PostgreSQL (session_replication_role)")

    def run(sql: str, params: list | tuple = ()) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            try:
                cursor.execute(sql, params)
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")

    return run


@pytest.fixture
def test_signing_key(settings):
    """A fresh Ed25519 key for the test, instead of the data folder's."""
    import base64
    import os

    from audit import signing

    settings.AUDIT_SIGNING_KEY = base64.b64encode(os.urandom(32)).decode()
    signing.signing_key.cache_clear()
    yield settings.AUDIT_SIGNING_KEY
    signing.signing_key.cache_clear()
