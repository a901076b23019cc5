from __future__ import annotations

import pytest

from tenants.models import Role


@pytest.mark.django_db
def test_me_with_key(agency_a, make_key, api_client):
    key = make_key(agency_a, Role.VIEWER)
    response = api_client(key).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {"agency": {"slug": "agency-a", "name": "Agency A"}, "role": "viewer"}


@pytest.mark.django_db
def test_me_with_session(client, member_a):
    client.force_login(member_a)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["role"] == "member"


@pytest.mark.django_db
def test_me_outsider_gets_clear_error(client, outsider):
    client.force_login(outsider)
    response = client.get("/api/v1/me")
    assert response.status_code == 404
    assert "not a member" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_unknown_key_is_refused(api_client, agency_a):
    response = api_client("tmk_abc_def").get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
def test_members_requires_admin(agency_a, admin_a, member_a, make_key, api_client):
    assert api_client(make_key(agency_a, Role.MEMBER)).get("/api/v1/members").status_code == 403
    response = api_client(make_key(agency_a, Role.AGENCY_ADMIN)).get("/api/v1/members")
    assert response.status_code == 200
    assert {m["username"] for m in response.json()} == {"admin-a", "member-a"}


@pytest.mark.django_db
def test_session_workspace_left_says_so_and_never_switches(client, member_a, agency_a, agency_b):
    from tenants.models import Membership

    Membership.objects.create(user=member_a, agency=agency_b, role=Role.VIEWER)
    client.force_login(member_a)
    assert client.get("/a/agency-a/").status_code == 200  # the session now works in agency A
    Membership.objects.filter(user=member_a, agency=agency_a).delete()
    response = client.get("/api/v1/me")
    assert response.status_code == 404
    assert "no longer a member of the workspace 'agency-a'" in response.json()["error"]["message"]
