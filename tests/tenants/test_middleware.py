from __future__ import annotations

import pytest

from tenants.models import AgencyStatus


@pytest.mark.django_db
def test_member_sees_own_workspace(client, member_a, agency_a):
    client.force_login(member_a)
    assert client.get("/a/agency-a/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["agency-b", "no-such-agency"])
def test_foreign_or_unknown_workspace_is_404(client, member_a, agency_b, slug):
    client.force_login(member_a)
    assert client.get(f"/a/{slug}/").status_code == 404


@pytest.mark.django_db
def test_outsider_gets_404(client, outsider, agency_a):
    client.force_login(outsider)
    assert client.get("/a/agency-a/").status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, agency_a):
    response = client.get("/a/agency-a/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_suspended_agency_gets_clear_refusal(client, member_a, agency_a):
    agency_a.status = AgencyStatus.SUSPENDED
    agency_a.save()
    client.force_login(member_a)
    response = client.get("/a/agency-a/")
    assert response.status_code == 403
    assert b"suspended" in response.content
