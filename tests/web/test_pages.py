from __future__ import annotations

import pytest

from tenants.models import AgencyStatus, Membership, Role


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, agency_a):
    for url in ("/", "/a/agency-a/", "/a/agency-a/console/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_workspace_home_by_role(client, member_a, viewer_a):
    client.force_login(member_a)
    text = client.get("/a/agency-a/").content.decode()
    assert "Upload a document" in text
    assert "Members, API keys" not in text
    client.force_login(viewer_a)
    text = client.get("/a/agency-a/").content.decode()
    assert "Upload a document" not in text


@pytest.mark.django_db
def test_workspace_of_other_agency_is_404(client, admin_a, outsider, agency_b):
    for user in (admin_a, outsider):
        client.force_login(user)
        assert client.get("/a/agency-b/").status_code == 404
        assert client.get("/a/no-such-agency/").status_code == 404


@pytest.mark.django_db
def test_page_has_landmarks_skip_link_and_labels(client, admin_a):
    client.force_login(admin_a)
    html = client.get("/a/agency-a/").content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert "<header" in html and "<footer" in html and "<nav" in html
    assert '<label for="language-select">' in html
    assert 'aria-current="page"' in html


@pytest.mark.django_db
def test_workspace_switcher(client, agency_a, agency_b, member_a):
    Membership.objects.create(user=member_a, agency=agency_b, role=Role.VIEWER)
    client.force_login(member_a)
    html = client.get("/a/agency-a/").content.decode()
    assert '<label for="workspace-select">' in html and "Agency B" in html
    response = client.get("/workspace/switch/", {"agency": "agency-b"})
    assert response.status_code == 302 and response["Location"] == "/a/agency-b/"
    # After the switch, the home page goes back to the last workspace used.
    client.get("/a/agency-b/")
    assert client.get("/")["Location"] == "/a/agency-b/"


@pytest.mark.django_db
def test_workspace_switcher_refuses_foreign_agency(client, agency_b, member_a, outsider):
    for user in (member_a, outsider):
        client.force_login(user)
        assert client.get("/workspace/switch/", {"agency": "agency-b"}).status_code == 404
        assert client.get("/workspace/switch/", {"agency": "nope"}).status_code == 404


@pytest.mark.django_db
def test_choose_workspace_for_several_agencies(client, agency_a, agency_b, member_a):
    Membership.objects.create(user=member_a, agency=agency_b, role=Role.VIEWER)
    client.force_login(member_a)
    response = client.get("/")
    assert response.status_code == 200
    assert "/a/agency-a/" in response.content.decode() and "/a/agency-b/" in response.content.decode()


@pytest.mark.django_db
def test_outsider_home_says_what_to_do(client, outsider):
    client.force_login(outsider)
    assert "Ask your agency admin" in client.get("/").content.decode()


@pytest.mark.django_db
def test_suspended_agency_page_says_so(client, agency_a, admin_a):
    agency_a.status = AgencyStatus.SUSPENDED
    agency_a.save()
    client.force_login(admin_a)
    for url in ("/a/agency-a/", "/a/agency-a/console/", "/a/agency-a/console/members/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "suspended" in response.content.decode()


@pytest.mark.django_db
def test_refusals_explain_what_to_do(client, viewer_a, outsider):
    client.force_login(viewer_a)
    forbidden = client.get("/a/agency-a/console/members/")
    assert forbidden.status_code == 403
    assert "ask your agency admin" in forbidden.content.decode()
    client.force_login(outsider)
    missing = client.get("/a/agency-a/")
    assert missing.status_code == 404
    assert "not part of your workspace" in missing.content.decode()
    assert "Agency A" not in missing.content.decode()
