from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail

from audit import actions
from tenants.models import Membership, Role


@pytest.fixture
def admin_client(agency_a, admin_a, make_key, api_client):
    return api_client(make_key(agency_a, Role.AGENCY_ADMIN))


@pytest.mark.django_db
def test_add_member_by_email(admin_client, agency_a, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/api/v1/members", {"email": "someone@example.gouv.fr", "role": "viewer"})
    assert response.status_code == 201
    body = response.json()
    assert body["account_created"] is True and body["password_email_sent"] is True
    assert body["role"] == "viewer" and body["email"] == "someone@example.gouv.fr"
    user = User.objects.get(pk=body["id"])
    assert Membership.objects.get(user=user, agency=agency_a).role == Role.VIEWER
    assert len(mail.outbox) == 1
    [event] = events(agency_a, actions.MEMBER_ADDED)
    assert event.actor_kind == "api_key"


@pytest.mark.django_db
def test_add_member_errors(admin_client, member_a):
    duplicate = admin_client.post("/api/v1/members", {"email": member_a.email})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "already_member"
    bad = admin_client.post("/api/v1/members", {"email": "nope", "role": "king"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["details"]) == {"email", "role"}


@pytest.mark.django_db
def test_change_role_and_remove(admin_client, agency_a, member_a, events):
    response = admin_client.patch(f"/api/v1/members/{member_a.pk}", {"role": "auditor"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "auditor"
    assert admin_client.delete(f"/api/v1/members/{member_a.pk}").status_code == 204
    assert not Membership.objects.filter(user=member_a, agency=agency_a).exists()
    assert len(events(agency_a, actions.MEMBER_ROLE_CHANGED)) == 1
    assert len(events(agency_a, actions.MEMBER_REMOVED)) == 1


@pytest.mark.django_db
def test_last_admin_is_protected(admin_client, admin_a, agency_a):
    demote = admin_client.patch(f"/api/v1/members/{admin_a.pk}", {"role": "member"}, format="json")
    assert demote.status_code == 409
    assert demote.json()["error"]["code"] == "last_admin"
    assert admin_client.delete(f"/api/v1/members/{admin_a.pk}").json()["error"]["code"] == "last_admin"
    assert Membership.objects.get(user=admin_a, agency=agency_a).role == Role.AGENCY_ADMIN


@pytest.mark.django_db
def test_other_agency_member_is_404_and_unchanged(admin_client, agency_b, member_b, outsider):
    for user in (member_b, outsider):
        assert admin_client.patch(f"/api/v1/members/{user.pk}", {"role": "viewer"}, format="json").status_code == 404
        assert admin_client.delete(f"/api/v1/members/{user.pk}").status_code == 404
    assert Membership.objects.get(user=member_b, agency=agency_b).role == Role.MEMBER
    listing = admin_client.get("/api/v1/members").json()
    rows = listing["results"] if isinstance(listing, dict) else listing
    assert member_b.pk not in {row["id"] for row in rows}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER, Role.AUDITOR])
def test_member_management_needs_admin(agency_a, member_a, make_key, api_client, role):
    client = api_client(make_key(agency_a, role))
    assert client.post("/api/v1/members", {"email": "x@example.org"}).status_code == 403
    assert client.patch(f"/api/v1/members/{member_a.pk}", {"role": "agency_admin"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/members/{member_a.pk}").status_code == 403
    assert Membership.objects.get(user=member_a).role == Role.MEMBER
