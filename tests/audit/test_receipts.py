"""Receipts: a valid one verifies (signature and chain); any altered field fails."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

import audit
from audit import signing
from audit.actors import Actor
from audit.receipts import (
    receipt_chain_errors,
    receipt_payload,
    receipt_sign,
    receipt_signature_errors,
)
from tenants.models import Role
from tenants.scope import agency_scope

T0 = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def _plain_payload() -> dict:
    return receipt_payload(
        agency={"id": 1, "slug": "agency-a"},
        job={
            "id": 7,
            "kind": "summarise",
            "status": "succeeded",
            "created_at": T0,
            "started_at": T0 + dt.timedelta(seconds=2),
            "finished_at": T0 + dt.timedelta(seconds=40),
            "policy_version": 3,
            "input_tokens": 1200,
            "output_tokens": 300,
            "cost": Decimal("0.004200"),
            "result_sha256": "b" * 64,
            "policy_rule": {"hosting": ["sovereign_cloud"], "jurisdictions": ["FR"], "degraded_mode": False},
        },
        document={
            "sha256": "a" * 64,
            "classification": "sensitive",
            "size": 52311,
            "mime_type": "application/pdf",
            "language": "fr",
        },
        endpoints=[
            {
                "name": "mistral-fr",
                "kind": "mistral",
                "hosting": "sovereign_cloud",
                "jurisdiction": "FR",
                "region": "fr-par",
                "deployment_type": "regional",
                "model": "mistral-small-latest",
            }
        ],
        events=[
            {"sequence": 12, "action": "job.routed", "hash": "c" * 64},
            {"sequence": 11, "action": "job.created", "hash": "d" * 64},
        ],
        issued_at=T0 + dt.timedelta(minutes=1),
    )


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _altered(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "x"
    return str(value) + "0"


def test_plain_receipt_verifies_and_every_altered_field_fails(test_signing_key):
    envelope = receipt_sign(_plain_payload())
    assert receipt_signature_errors(envelope) == []
    assert envelope["receipt"]["audit"]["first_sequence"] == 11
    assert envelope["receipt"]["audit"]["last_sequence"] == 12
    leaves = list(_leaves(envelope["receipt"]))
    assert len(leaves) > 30
    for path, value in leaves:
        tampered = copy.deepcopy(envelope)
        target = tampered["receipt"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = _altered(value)
        assert receipt_signature_errors(tampered), f"altering {path} went unnoticed"


def test_receipt_fails_with_another_key_and_verifies_with_public_key_alone(test_signing_key):
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from audit.canonical import canonical_json

    envelope = json.loads(json.dumps(receipt_sign(_plain_payload())))
    public = signing.load_public_key(signing.public_key_b64())
    # What docs/audit.md tells a third party to do, with `cryptography` only.
    message = json.dumps(envelope["receipt"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert message == canonical_json(envelope["receipt"])
    Ed25519PublicKey.from_public_bytes(base64.b64decode(signing.public_key_b64())).verify(
        base64.b64decode(envelope["signature"]["value"]), message
    )
    other = signing.load_private_key(base64.b64encode(b"\x01" * 32).decode()).public_key()
    assert receipt_signature_errors(envelope, key=public) == []
    assert receipt_signature_errors(envelope, key=other)


def test_added_field_fails(test_signing_key):
    envelope = receipt_sign(_plain_payload())
    envelope["receipt"]["extra"] = "x"
    assert receipt_signature_errors(envelope)


# --- on the platform, with a real job -----------------------------------------------------------------------


@pytest.fixture
def finished_job(agency_a, member_a):
    from documents.models import Document
    from jobs.models import Job
    from routing.models import PolicyVersion

    with agency_scope(agency_a):
        PolicyVersion.objects.create(
            agency=agency_a,
            version=2,
            default_classification="internal",
            rules={"internal": {"hosting": ["on_premises"], "jurisdictions": ["FR"]}},
        )
        document = Document.objects.create(
            agency=agency_a,
            title="Rapport",
            file="agencies/x/documents/a.pdf",
            sha256="a" * 64,
            size=1234,
            mime_type="application/pdf",
            classification="internal",
            language="fr",
        )
        job = Job.objects.create(
            agency=agency_a,
            document=document,
            kind="summarise",
            status="succeeded",
            policy_version=2,
            routing_decision={
                "chosen": [
                    {
                        "name": "mistral-fr",
                        "kind": "mistral",
                        "hosting": "sovereign_cloud",
                        "jurisdiction": "FR",
                        "region": "fr-par",
                        "deployment_type": "regional",
                        "model": "mistral-small-latest",
                    }
                ]
            },
            endpoint_name="mistral-fr",
            input_tokens=100,
            output_tokens=20,
            cost=Decimal("0.001"),
            result_sha256="e" * 64,
            started_at=timezone.now(),
            finished_at=timezone.now(),
        )
        actor = Actor.user(member_a)
        audit.record(agency=agency_a, actor=actor, action="job.created", target=job, details={"job_id": job.pk})
        audit.record(agency=agency_a, actor=actor, action="member.added", target=("membership", "9"))
        audit.record(agency=agency_a, actor=Actor.system("worker"), action="job.succeeded", target=job)
    return job


@pytest.mark.django_db
def test_job_receipt_api_and_chain_check(agency_a, agency_b, finished_job, make_key, api_client, test_signing_key):
    response = api_client(make_key(agency_a, Role.VIEWER)).get(f"/api/v1/jobs/{finished_job.pk}/receipt")
    assert response.status_code == 200, response.content
    envelope = response.json()
    receipt = envelope["receipt"]
    assert receipt["input"]["sha256"] == "a" * 64
    assert receipt["endpoint"]["jurisdiction"] == "FR"
    assert receipt["policy"] == {"version": 2, "rule": {"hosting": ["on_premises"], "jurisdictions": ["FR"]}}
    assert [e["sequence"] for e in receipt["audit"]["events"]] == [1, 3]
    assert receipt_signature_errors(envelope) == []
    assert receipt_chain_errors(envelope) == []

    # Agency B cannot see A's job: 404, not 403.
    other = api_client(make_key(agency_b, Role.AGENCY_ADMIN)).get(f"/api/v1/jobs/{finished_job.pk}/receipt")
    assert other.status_code == 404


@pytest.mark.django_db
def test_receipt_verify_command(agency_a, finished_job, tmp_path, test_signing_key, raw_sql):
    from audit.receipts import job_receipt

    with agency_scope(agency_a):
        envelope = job_receipt(job=finished_job)
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(envelope))
    call_command("receipt_verify", str(path))
    call_command("receipt_verify", str(path), "--offline", "--public-key", signing.public_key_b64())

    altered = copy.deepcopy(envelope)
    altered["receipt"]["endpoint"]["jurisdiction"] = "US"
    path.write_text(json.dumps(altered))
    with pytest.raises(CommandError):
        call_command("receipt_verify", str(path))

    # Signature fine, but the chain no longer holds the stated event unaltered.
    path.write_text(json.dumps(envelope))
    raw_sql("UPDATE audit_auditevent SET action = 'job.failed' WHERE agency_id = %s AND sequence = 3", [agency_a.pk])
    with pytest.raises(CommandError):
        call_command("receipt_verify", str(path))


@pytest.mark.django_db
def test_unfinished_job_has_no_receipt(agency_a, finished_job, make_key, api_client):
    from jobs.models import Job

    with agency_scope(agency_a):
        Job.objects.filter(pk=finished_job.pk).update(finished_at=None, status="running")
    response = api_client(make_key(agency_a, Role.MEMBER)).get(f"/api/v1/jobs/{finished_job.pk}/receipt")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "job_not_finished"


@pytest.mark.django_db
def test_console_receipt_download(agency_a, finished_job, viewer_a, admin_b, test_signing_key):
    from django.test import Client

    from tests.conftest import PASSWORD

    client = Client()
    client.login(username="viewer-a", password=PASSWORD)
    response = client.get(f"/a/agency-a/console/audit/jobs/{finished_job.pk}/receipt")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert receipt_signature_errors(json.loads(response.content)) == []
    assert client.get("/a/agency-a/console/audit/jobs/999999/receipt").status_code == 404

    other = Client()
    other.login(username="admin-b", password=PASSWORD)
    assert other.get(f"/a/agency-a/console/audit/jobs/{finished_job.pk}/receipt").status_code == 404
    assert other.get(f"/a/agency-b/console/audit/jobs/{finished_job.pk}/receipt").status_code == 404


@pytest.mark.django_db
def test_receipt_of_a_job_finished_by_the_jobs_service(agency_a, test_signing_key):
    """The jobs package stores the served endpoints' snapshots under routing_decision["chosen"]."""
    from django.db import transaction

    from audit.receipts import job_receipt
    from documents.models import Document
    from jobs.models import Job
    from jobs.services import job_succeed_locked

    snapshot = {
        "name": "azure-fr",
        "kind": "azure",
        "hosting": "public_cloud",
        "jurisdiction": "US",
        "region": "francecentral",
        "deployment_type": "regional",
        "model": "mistral-large",
    }
    with agency_scope(agency_a):
        document = Document.objects.create(
            agency=agency_a,
            title="t",
            file="x.pdf",
            sha256="f" * 64,
            size=9,
            mime_type="application/pdf",
            classification="internal",
        )
        job = Job.objects.create(
            agency=agency_a,
            document=document,
            kind="summarise",
            status="running",
            routing_decision={"candidates": [snapshot, {**snapshot, "name": "other"}]},
        )
        with transaction.atomic():
            job_succeed_locked(Job.objects.select_for_update().get(pk=job.pk), markdown="# ok", served=["azure-fr"])
        job.refresh_from_db()
        receipt = job_receipt(job=job)["receipt"]
    assert receipt["endpoint"] == snapshot
    assert receipt["endpoints"] == [snapshot]
    assert receipt["output"]["sha256"] == job.result_sha256
    assert [e["action"] for e in receipt["audit"]["events"]] == ["job.succeeded"]
