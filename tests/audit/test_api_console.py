"""Audit API and console: roles, agency isolation, filters, keyset pagination, exports (themselves audited)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from audit.checkpoints import checkpoint_create
from audit.models import AuditEvent
from tenants.models import Role
from tenants.scope import agency_scope
from tests.conftest import PASSWORD

from .conftest import fill

pytestmark = pytest.mark.django_db


def _login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("path", ["/api/v1/audit/events", "/api/v1/audit/verify", "/api/v1/audit/checkpoints"])
def test_api_needs_audit_role(agency_a, make_key, api_client, path, test_signing_key):
    assert api_client(make_key(agency_a, Role.MEMBER)).get(path).status_code == 403
    assert api_client(make_key(agency_a, Role.VIEWER)).get(path).status_code == 403
    assert api_client(make_key(agency_a, Role.AUDITOR)).get(path).status_code == 200
    assert api_client(make_key(agency_a, Role.AGENCY_ADMIN)).get(path).status_code == 200
    assert api_client(None).get(path).status_code in (401, 403)


def test_api_events_cursor_pagination_and_filters(agency_a, agency_b, make_key, api_client):
    fill(agency_a, 7, action="member.added")
    fill(agency_a, 3, action="job.created")
    fill(agency_b, 4)
    client = api_client(make_key(agency_a, Role.AUDITOR))  # creating the key records apikey.created (#11)
    seen = []
    cursor = None
    for _ in range(10):
        url = "/api/v1/audit/events?limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen.extend(event["sequence"] for event in body["results"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(11, 0, -1))

    jobs = client.get("/api/v1/audit/events?action=job.").json()["results"]
    assert [e["action"] for e in jobs] == ["job.created"] * 3
    target = client.get("/api/v1/audit/events?target_type=membership&target_id=2").json()["results"]
    assert {e["sequence"] for e in target} == {3, 10}  # both fills used membership 2
    system = client.get("/api/v1/audit/events?actor=system:tests").json()["results"]
    assert len(system) == 11
    assert client.get("/api/v1/audit/events?since=yesterday").status_code == 400
    # Agency B's key sees only B's events.
    b_events = api_client(make_key(agency_b, Role.AUDITOR)).get("/api/v1/audit/events").json()["results"]
    assert all(e["action"] in ("member.added", "apikey.created") for e in b_events)
    assert len(b_events) == 5


def test_api_verify_reports_ok_and_breaks(agency_a, make_key, api_client, raw_sql, test_signing_key):
    fill(agency_a, 5)
    client = api_client(make_key(agency_a, Role.AUDITOR))
    body = client.get("/api/v1/audit/verify").json()
    assert body["status"] == "ok"
    raw_sql("UPDATE audit_auditevent SET action = 'x.y' WHERE agency_id = %s AND sequence = 2", [agency_a.pk])
    body = client.get("/api/v1/audit/verify").json()
    assert body["status"] == "broken"
    assert body["problem"]["kind"] == "edited"
    assert body["problem"]["sequence"] == 2


def test_console_pages_for_audit_roles_only(agency_a, agency_b, admin_a, auditor_a, member_a, admin_b):
    fill(agency_a, 3)
    for user in (admin_a, auditor_a):
        client = _login(user)
        for page in ("", "verify", "checkpoints", "retention"):
            response = client.get(f"/a/agency-a/console/audit/{page}")
            assert response.status_code == 200, (user, page)
    assert _login(member_a).get("/a/agency-a/console/audit/").status_code == 403
    # B's admin has no membership in A: 404, never 403.
    assert _login(admin_b).get("/a/agency-a/console/audit/").status_code == 404


def test_console_list_filters_and_paginates(agency_a, auditor_a):
    fill(agency_a, 60)
    client = _login(auditor_a)
    first = client.get("/a/agency-a/console/audit/")
    assert first.context["next_cursor"] == 11
    assert [e.sequence for e in first.context["events"]][:2] == [60, 59]
    second = client.get("/a/agency-a/console/audit/?cursor=11")
    assert [e.sequence for e in second.context["events"]] == list(range(10, 0, -1))
    assert second.context["next_cursor"] is None
    filtered = client.get("/a/agency-a/console/audit/?target_type=membership&target_id=5")
    assert [e.sequence for e in filtered.context["events"]] == [6]
    assert client.get("/a/agency-a/console/audit/?until=31-12-2026").status_code == 400


def test_exports_are_audited_and_complete(agency_a, admin_a, auditor_a):
    fill(agency_a, 5)
    client = _login(auditor_a)
    response = client.post("/a/agency-a/console/audit/export", {"format": "csv", "action": "member.added"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "sequence"
    assert [row[0] for row in rows[1:]] == ["1", "2", "3", "4", "5"]
    with agency_scope(agency_a):
        exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.sequence == 6
    assert exported.actor_label == "auditor-a"
    assert exported.details == {"format": "csv", "filters": {"action": "member.added"}}

    response = _login(admin_a).post("/a/agency-a/console/audit/export", {"format": "json"})
    document = json.loads(b"".join(response.streaming_content))
    assert [e["sequence"] for e in document["events"]] == [1, 2, 3, 4, 5, 6, 7]
    assert document["events"][-1]["action"] == "audit.exported"
    assert document["events"][1]["prev_hash"] == document["events"][0]["hash"]


def test_checkpoint_download_and_public_key(agency_a, auditor_a, test_signing_key):
    from audit import signing

    fill(agency_a, 3)
    checkpoint_create(agency=agency_a)
    client = _login(auditor_a)
    page = client.get("/a/agency-a/console/audit/checkpoints")
    assert signing.public_key_b64() in page.content.decode()
    download = client.get("/a/agency-a/console/audit/checkpoints?download=1")
    data = json.loads(download.content)
    assert data["checkpoints"][0]["statement"]["sequence"] == 3


def test_auditor_cannot_change_retention_admin_can(agency_a, admin_a, auditor_a):
    from audit.selectors import retention_settings

    form = {
        "document_retention_days": 30,
        "result_retention_days": 30,
        "audit_retention_days": 200,
        "legal_hold": "on",
        "legal_hold_reference": "case 7",
    }
    assert _login(auditor_a).post("/a/agency-a/console/audit/retention", form).status_code == 403
    with agency_scope(agency_a):
        assert retention_settings(agency=agency_a).pk is None
    too_short = _login(admin_a).post("/a/agency-a/console/audit/retention", {**form, "audit_retention_days": 100})
    assert too_short.status_code == 400
    assert _login(admin_a).post("/a/agency-a/console/audit/retention", form).status_code == 302
    with agency_scope(agency_a):
        saved = retention_settings(agency=agency_a)
        assert (saved.audit_retention_days, saved.legal_hold) == (200, True)
        assert AuditEvent.objects.filter(action="retention.changed", actor_label="admin-a").count() == 1


def test_operator_admin_lists_events_read_only(agency_a, agency_b):
    from django.contrib.auth import get_user_model

    fill(agency_a, 2)
    fill(agency_b, 1)
    operator = get_user_model().objects.create_superuser("operator", "op@example.gouv.fr", PASSWORD)
    client = Client()
    client.force_login(operator)
    listing = client.get("/admin/audit/auditevent/")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 3  # the operator sees every agency
    with agency_scope(agency_a):
        event = AuditEvent.objects.first()
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
