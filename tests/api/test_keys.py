from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiKey
from audit import actions
from tenants.models import Role


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER, Role.AUDITOR])
def test_key_management_needs_admin(agency_a, make_key, api_client, role):
    client = api_client(make_key(agency_a, role))
    assert client.get("/api/v1/keys").status_code == 403
    response = client.post("/api/v1/keys", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert ApiKey.unscoped_objects.count() == 1  # only the caller's own key


@pytest.mark.django_db
def test_create_key_returns_it_once_and_stores_a_hash(agency_a, make_key, api_client, events):
    admin = api_client(make_key(agency_a, Role.AGENCY_ADMIN))
    response = admin.post("/api/v1/keys", {"name": "batch", "role": "viewer"}, format="json")
    assert response.status_code == 201
    body = response.json()
    plaintext = body["key"]
    assert plaintext.startswith(f"tmk_{body['prefix']}_")
    assert body["status"] == "active" and body["role"] == "viewer"
    secret = plaintext.split("_", 2)[2]
    row = ApiKey.unscoped_objects.filter(pk=body["id"]).values().get()
    assert all(secret not in str(value) for value in row.values())
    listing = admin.get("/api/v1/keys")
    assert secret not in listing.content.decode()
    assert all("key" not in row for row in listing.json())
    assert api_client(plaintext).get("/api/v1/me").json()["role"] == "viewer"
    assert len(events(agency_a, actions.APIKEY_CREATED)) == 2


@pytest.mark.django_db
def test_create_key_with_bad_input_says_what_to_fix(agency_a, make_key, api_client):
    admin = api_client(make_key(agency_a, Role.AGENCY_ADMIN))
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = admin.post("/api/v1/keys", {"name": "", "role": "boss", "expires_at": past}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"name", "role", "expires_at"}


@pytest.mark.django_db
def test_revoked_and_expired_keys_are_refused_with_clear_errors(agency_a, make_key, api_client):
    admin = api_client(make_key(agency_a, Role.AGENCY_ADMIN))
    created = admin.post("/api/v1/keys", {"name": "soon revoked"}, format="json").json()
    revoke = admin.post(f"/api/v1/keys/{created['id']}/revoke")
    assert revoke.status_code == 200
    assert revoke.json()["status"] == "revoked"
    refused = api_client(created["key"]).get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json()["error"] == {
        "code": "not_authenticated",
        "message": "This API key was revoked. Ask your agency admin for a new one.",
    }
    expired = make_key(agency_a, Role.MEMBER, expires_at=timezone.now() - timedelta(seconds=1))
    refused = api_client(expired).get("/api/v1/me")
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]["message"]
    # Revoking again is harmless.
    assert admin.post(f"/api/v1/keys/{created['id']}/revoke").status_code == 200


@pytest.mark.django_db
def test_key_of_agency_a_cannot_see_or_touch_agency_b(agency_a, agency_b, make_key, api_client):
    make_key(agency_b, Role.MEMBER)
    key_b = ApiKey.unscoped_objects.get(agency=agency_b)
    admin_a = api_client(make_key(agency_a, Role.AGENCY_ADMIN))
    response = admin_a.post(f"/api/v1/keys/{key_b.pk}/revoke")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    key_b.refresh_from_db()
    assert key_b.revoked_at is None
    listing = admin_a.get("/api/v1/keys").json()
    rows = listing["results"] if isinstance(listing, dict) else listing
    assert key_b.prefix not in {row["prefix"] for row in rows}


@pytest.mark.django_db
def test_suspended_agency_refuses_api(agency_a, make_key, api_client):
    key = make_key(agency_a, Role.AGENCY_ADMIN)
    agency_a.status = "suspended"
    agency_a.save()
    response = api_client(key).get("/api/v1/me")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "agency_suspended"
    assert "suspended" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_session_admin_can_manage_keys(client, admin_a):
    client.force_login(admin_a)
    client.get("/a/agency-a/")  # remembers the workspace in the session
    response = client.post("/api/v1/keys", {"name": "from the browser"}, content_type="application/json")
    assert response.status_code == 201
    assert ApiKey.unscoped_objects.get(pk=response.json()["id"]).created_by == admin_a
