from __future__ import annotations

import pytest

from accounts.models import ApiKey
from audit import actions
from tenants.models import Role


@pytest.mark.django_db
def test_operator_lists_every_agency_keys_and_revokes(admin_client, agency_a, agency_b, make_key, events):
    make_key(agency_a, Role.MEMBER)
    make_key(agency_b, Role.VIEWER)
    keys = list(ApiKey.unscoped_objects.order_by("pk"))
    listing = admin_client.get("/admin/accounts/apikey/")
    assert listing.status_code == 200
    assert all(key.prefix in listing.content.decode() for key in keys)
    assert all(key.secret_hash not in listing.content.decode() for key in keys)
    detail = admin_client.get(f"/admin/accounts/apikey/{keys[1].pk}/change/")
    assert detail.status_code == 200 and keys[1].secret_hash not in detail.content.decode()
    response = admin_client.post("/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [keys[1].pk]})
    assert response.status_code == 302
    assert ApiKey.unscoped_objects.get(pk=keys[1].pk).revoked_at is not None
    assert ApiKey.unscoped_objects.get(pk=keys[0].pk).revoked_at is None
    [event] = events(agency_b, actions.APIKEY_REVOKED)
    assert event.actor_kind == "operator"


@pytest.mark.django_db
def test_console_users_cannot_open_admin(client, admin_a):
    client.force_login(admin_a)
    assert client.get("/admin/accounts/apikey/").status_code == 302  # to the admin login
