"""audit_verify / audit_public_key commands and the periodic checkpoint task."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit import signing
from audit.checkpoints import checkpoints_export
from audit.models import AuditCheckpoint
from audit.tasks import checkpoint_write
from tenants.scope import agency_scope

from .conftest import fill

pytestmark = pytest.mark.django_db


def test_public_key_command_prints_the_verifying_key(test_signing_key, capsys):
    call_command("audit_public_key")
    printed = capsys.readouterr().out.strip()
    assert printed == signing.public_key_b64()
    message = b"hello"
    assert signing.verify(message, signing.sign(message), signing.load_public_key(printed))
    call_command("audit_public_key", "--pem")
    assert "BEGIN PUBLIC KEY" in capsys.readouterr().out


def test_checkpoint_task_signs_only_when_the_chain_moved(agency_a, agency_b, test_signing_key):
    fill(agency_a, 4)
    checkpoint_write(agency_a.pk)
    checkpoint_write(agency_a.pk)  # nothing new: no second checkpoint
    checkpoint_write(agency_b.pk)  # no events: no checkpoint
    with agency_scope(agency_a):
        checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.sequence == 4
    statement = json.loads(checkpoint.statement)
    assert statement["agency"] == {"id": agency_a.pk, "slug": "agency-a"}
    assert signing.verify(checkpoint.statement.encode(), checkpoint.signature)
    with agency_scope(agency_b):
        assert not AuditCheckpoint.objects.exists()


def test_checkpoint_task_refuses_to_sign_a_broken_chain(agency_a, raw_sql, test_signing_key):
    fill(agency_a, 4)
    raw_sql("UPDATE audit_auditevent SET action = 'x.y' WHERE agency_id = %s AND sequence = 3", [agency_a.pk])
    checkpoint_write(agency_a.pk)
    with agency_scope(agency_a):
        assert not AuditCheckpoint.objects.exists()


def test_audit_verify_exit_codes(agency_a, agency_b, raw_sql, tmp_path, test_signing_key, capsys):
    fill(agency_a, 6)
    fill(agency_b, 2)
    checkpoint_write(agency_a.pk)
    export = tmp_path / "checkpoints.json"
    export.write_text(json.dumps(checkpoints_export(agency=agency_a)))
    call_command("audit_verify")  # every agency intact: returns normally (exit 0)
    call_command("audit_verify", "--agency", "agency-a", "--checkpoint", str(export))
    assert "agency-a: OK" in capsys.readouterr().out

    raw_sql("DELETE FROM audit_auditevent WHERE agency_id = %s AND sequence = 5", [agency_a.pk])
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify", "--agency", "agency-a")
    assert caught.value.returncode == 1
    assert "missing at #5" in capsys.readouterr().out
    call_command("audit_verify", "--agency", "agency-b")  # B is unaffected
    with pytest.raises(CommandError, match="No agency"):
        call_command("audit_verify", "--agency", "nope")
