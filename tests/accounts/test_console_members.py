from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

from audit import actions
from tenants.models import Membership, Role

MEMBERS = "/a/agency-a/console/members/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [("admin_a", 200), ("member_a", 403), ("viewer_a", 403), ("auditor_a", 403), ("admin_b", 404), ("outsider", 404)],
)
def test_members_page_by_role(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(MEMBERS).status_code == status


@pytest.mark.django_db
def test_members_page_lists_only_this_agency(client, admin_a, member_a, member_b):
    client.force_login(admin_a)
    text = client.get(MEMBERS).content.decode()
    assert "member-a@example.gouv.fr" in text
    assert "member-b@example.gouv.fr" not in text


@pytest.mark.django_db
def test_add_new_person_creates_account_and_sends_set_password_link(
    client, agency_a, admin_a, events, django_capture_on_commit_callbacks
):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(MEMBERS, {"email": "New.Person@Example.gouv.fr", "role": Role.VIEWER})
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.gouv.fr")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, agency=agency_a).role == Role.VIEWER
    [message] = mail.outbox
    assert message.to == ["new.person@example.gouv.fr"]
    assert "Agency A" in message.subject
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", message.body).group(1)
    # The link lets the invited person set a password.
    anon = client.__class__()
    set_page = anon.get(link, follow=True)
    set_url = set_page.redirect_chain[-1][0]
    assert anon.post(set_url, {"new_password1": "A-fine-Passphrase-77", "new_password2": "A-fine-Passphrase-77"})[
        "Location"
    ].endswith("/accounts/password/reset/complete/")
    user.refresh_from_db()
    assert user.check_password("A-fine-Passphrase-77")
    [event] = events(agency_a, actions.MEMBER_ADDED)
    assert event.details == {"user_id": user.pk, "role": "viewer"}


@pytest.mark.django_db
def test_add_existing_account_sends_no_email(client, agency_a, admin_a, member_b, django_capture_on_commit_callbacks):
    client.force_login(admin_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post(MEMBERS, {"email": member_b.email, "role": Role.MEMBER}).status_code == 302
    assert callbacks == []
    assert Membership.objects.filter(user=member_b, agency=agency_a).exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_add_existing_member_shows_clear_error(client, admin_a, member_a):
    client.force_login(admin_a)
    response = client.post(MEMBERS, {"email": member_a.email, "role": Role.VIEWER})
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert Membership.objects.get(user=member_a).role == Role.MEMBER


@pytest.mark.django_db
def test_add_with_bad_email_keeps_input_and_says_why(client, admin_a):
    client.force_login(admin_a)
    response = client.post(MEMBERS, {"email": "not-an-email", "role": Role.VIEWER})
    assert response.status_code == 400
    text = response.content.decode()
    assert 'value="not-an-email"' in text
    assert "valid email" in text


@pytest.mark.django_db
def test_change_role_and_remove(client, agency_a, admin_a, member_a, events):
    client.force_login(admin_a)
    response = client.post(f"{MEMBERS}{member_a.pk}/role/", {"role": Role.AUDITOR}, follow=True)
    assert "is now Auditor" in response.content.decode()
    assert Membership.objects.get(user=member_a, agency=agency_a).role == Role.AUDITOR
    assert client.get(f"{MEMBERS}{member_a.pk}/remove/").status_code == 200  # confirmation page
    assert Membership.objects.filter(user=member_a, agency=agency_a).exists()
    client.post(f"{MEMBERS}{member_a.pk}/remove/")
    assert not Membership.objects.filter(user=member_a, agency=agency_a).exists()
    assert User.objects.filter(pk=member_a.pk).exists()
    assert len(events(agency_a, actions.MEMBER_ROLE_CHANGED)) == 1
    assert len(events(agency_a, actions.MEMBER_REMOVED)) == 1


@pytest.mark.django_db
def test_last_admin_cannot_be_demoted_or_removed(client, agency_a, admin_a):
    client.force_login(admin_a)
    response = client.post(f"{MEMBERS}{admin_a.pk}/role/", {"role": Role.MEMBER}, follow=True)
    assert "at least one agency admin" in response.content.decode()
    response = client.post(f"{MEMBERS}{admin_a.pk}/remove/", follow=True)
    assert "at least one agency admin" in response.content.decode()
    assert Membership.objects.get(user=admin_a, agency=agency_a).role == Role.AGENCY_ADMIN


@pytest.mark.django_db
def test_other_agency_members_are_404_and_unchanged(client, agency_b, admin_a, member_b, outsider):
    client.force_login(admin_a)
    assert client.post(f"{MEMBERS}{member_b.pk}/role/", {"role": Role.VIEWER}).status_code == 404
    assert client.get(f"{MEMBERS}{member_b.pk}/remove/").status_code == 404
    assert client.post(f"{MEMBERS}{member_b.pk}/remove/").status_code == 404
    assert client.post(f"{MEMBERS}{outsider.pk}/remove/").status_code == 404
    assert Membership.objects.get(user=member_b, agency=agency_b).role == Role.MEMBER


@pytest.mark.django_db
def test_member_cannot_change_roles(client, agency_a, admin_a, member_a):
    client.force_login(member_a)
    assert client.post(f"{MEMBERS}{member_a.pk}/role/", {"role": Role.AGENCY_ADMIN}).status_code == 403
    assert Membership.objects.get(user=member_a).role == Role.MEMBER


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [("admin_a", 200), ("auditor_a", 200), ("viewer_a", 200), ("admin_b", 404), ("outsider", 404)]
)
def test_console_home_shows_what_the_role_may_open(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/a/agency-a/console/")
    assert response.status_code == status
    if status != 200:
        return
    html = response.content.decode()
    links = set(re.findall(r'href="(/a/agency-a/console/[^"]+)"', html))
    # Every link shown opens for this role.
    for url in links:
        assert client.get(url).status_code == 200, url
    admin_only = {"/a/agency-a/console/members/", "/a/agency-a/console/keys/"}
    if who == "admin_a":
        assert admin_only <= links
    else:
        assert not admin_only & links
    if who == "auditor_a":
        assert "/a/agency-a/console/audit/" in links
