from __future__ import annotations

import re

import pytest
from django.core import mail

from audit import actions
from tests.conftest import PASSWORD

NEW = "Another-good-Passphrase-42"


@pytest.mark.django_db
def test_password_change_is_audited_and_keeps_session(client, agency_a, member_a, events):
    client.force_login(member_a)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/done/"
    member_a.refresh_from_db()
    assert member_a.check_password(NEW)
    [event] = events(agency_a, actions.AUTH_PASSWORD_CHANGED)
    assert event.details == {"user_id": member_a.pk, "via": "change"}
    assert client.get("/accounts/password/change/done/").status_code == 200  # still logged in


@pytest.mark.django_db
def test_password_change_with_wrong_old_password_changes_nothing(client, agency_a, member_a, events):
    client.force_login(member_a)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200
    assert "incorrect" in response.content.decode()
    member_a.refresh_from_db()
    assert member_a.check_password(PASSWORD)
    assert events(agency_a, actions.AUTH_PASSWORD_CHANGED) == []


@pytest.mark.django_db
def test_password_reset_by_email_end_to_end(client, agency_a, member_a, events):
    response = client.post("/accounts/password/reset/", {"email": member_a.email})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [member_a.email]
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    member_a.refresh_from_db()
    assert member_a.check_password(NEW)
    [event] = events(agency_a, actions.AUTH_PASSWORD_CHANGED)
    assert event.details == {"user_id": member_a.pk, "via": "reset"}
    # The link works once.
    assert "invalid" in client.get(link, follow=True).content.decode()


@pytest.mark.django_db
def test_password_reset_for_unknown_email_sends_nothing_and_reveals_nothing(client, member_a):
    known = client.post("/accounts/password/reset/", {"email": member_a.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_password_reset_lifts_the_account_login_pause(client, member_a, settings):
    from accounts.models import LoginFailure

    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/accounts/login/", {"username": "member-a", "password": "bad"})
    assert client.post("/accounts/login/", {"username": "member-a", "password": PASSWORD}).status_code == 429
    client.post("/accounts/password/reset/", {"email": member_a.email})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert not LoginFailure.objects.filter(username="member-a").exists()
    assert client.post("/accounts/login/", {"username": "member-a", "password": NEW}).status_code == 302
