from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiKey
from audit import actions
from tenants.models import Role

KEYS = "/a/agency-a/console/keys/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [("admin_a", 200), ("member_a", 403), ("viewer_a", 403), ("admin_b", 404), ("outsider", 404)]
)
def test_keys_pages_by_role(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(KEYS).status_code == status
    assert client.get(f"{KEYS}new/").status_code == status


@pytest.mark.django_db
def test_key_is_shown_once_and_stored_hashed(client, agency_a, admin_a, api_client, events):
    client.force_login(admin_a)
    created = client.post(f"{KEYS}new/", {"name": "records system", "role": Role.VIEWER, "valid_until": ""})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    plaintext = re.search(r'value="(tmk_[^"]+)"', created.content.decode()).group(1)
    key = ApiKey.unscoped_objects.get(agency=agency_a, name="records system")
    secret = plaintext.split("_", 2)[2]
    row = " ".join(str(v) for v in ApiKey.unscoped_objects.filter(pk=key.pk).values().get().values())
    assert secret not in row and plaintext not in row
    assert key.prefix in plaintext
    # Never shown again: not in the list, not on the revoke page.
    for url in (KEYS, f"{KEYS}{key.pk}/revoke/", "/a/agency-a/console/"):
        assert secret not in client.get(url).content.decode()
    assert api_client(plaintext).get("/api/v1/me").json()["role"] == "viewer"
    [event] = events(agency_a, actions.APIKEY_CREATED)
    assert secret not in str(event.details)


@pytest.mark.django_db
def test_key_with_past_expiry_is_refused_with_clear_error(client, admin_a):
    client.force_login(admin_a)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(f"{KEYS}new/", {"name": "x", "role": Role.MEMBER, "valid_until": yesterday})
    assert response.status_code == 400
    assert "in the future" in response.content.decode()
    assert not ApiKey.unscoped_objects.exists()


@pytest.mark.django_db
def test_key_list_shows_status_in_words(client, agency_a, admin_a, make_key):
    make_key(agency_a, Role.MEMBER, expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(admin_a)
    text = client.get(KEYS).content.decode()
    assert "Expired" in text


@pytest.mark.django_db
def test_revoke_needs_post_and_confirmation(client, agency_a, admin_a, make_key, api_client, events):
    plaintext = make_key(agency_a, Role.MEMBER)
    key = ApiKey.unscoped_objects.get(agency=agency_a)
    client.force_login(admin_a)
    assert "Yes, revoke" in client.get(f"{KEYS}{key.pk}/revoke/").content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None
    assert client.post(f"{KEYS}{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Revoked" in client.get(KEYS).content.decode()
    assert api_client(plaintext).get("/api/v1/me").status_code == 401
    assert len(events(agency_a, actions.APIKEY_REVOKED)) == 1


@pytest.mark.django_db
def test_other_agency_key_is_404_and_unchanged(client, agency_b, admin_a, make_key):
    make_key(agency_b, Role.MEMBER)
    key_b = ApiKey.unscoped_objects.get(agency=agency_b)
    client.force_login(admin_a)
    assert client.get(f"{KEYS}{key_b.pk}/revoke/").status_code == 404
    assert client.post(f"{KEYS}{key_b.pk}/revoke/").status_code == 404
    key_b.refresh_from_db()
    assert key_b.revoked_at is None
    assert key_b.prefix not in client.get(KEYS).content.decode()
