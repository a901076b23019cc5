from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.models import LoginFailure
from audit import actions
from tenants.models import Membership, Role
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def _post(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_login_page_renders(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'for="id_username"' in response.content


@pytest.mark.django_db
def test_login_success_with_username_is_audited_in_every_agency(client, agency_a, agency_b, member_a, events):
    Membership.objects.create(user=member_a, agency=agency_b, role=Role.VIEWER)
    response = _post(client, "member-a", PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    for agency in (agency_a, agency_b):
        [event] = events(agency, actions.AUTH_LOGIN)
        assert event.actor_kind == "user"
        assert event.details == {"user_id": member_a.pk}
        assert event.ip == "10.0.0.1"


@pytest.mark.django_db
def test_login_with_email(client, member_a):
    response = _post(client, "Member-A@example.gouv.fr", PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == member_a.pk


@pytest.mark.django_db
def test_login_failure_is_audited_for_the_named_account_only(client, agency_a, agency_b, member_a, admin_b, events):
    response = _post(client, "member-a", "wrong password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    [event] = events(agency_a, actions.AUTH_LOGIN_FAILED)
    assert event.actor_kind == "anonymous"
    assert event.details == {"user_id": member_a.pk, "reason": "invalid_credentials"}
    assert events(agency_b, actions.AUTH_LOGIN_FAILED) == []
    assert events(agency_a, actions.AUTH_LOGIN) == []


@pytest.mark.django_db
def test_unknown_username_is_counted_but_audited_nowhere(client, agency_a, agency_b, admin_a, admin_b, events):
    _post(client, "nobody-at-all", "whatever")
    assert LoginFailure.objects.filter(username="nobody-at-all").count() == 1
    assert events(agency_a, actions.AUTH_LOGIN_FAILED) == []
    assert events(agency_b, actions.AUTH_LOGIN_FAILED) == []


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_FAILURE_IP_LIMIT=100, LOGIN_FAILURE_WINDOW_SECONDS=600)
def test_throttle_per_username_refuses_even_the_right_password(client, member_a, events, agency_a):
    assert _post(client, "member-a", "bad-1", ip="10.0.0.1").status_code == 200
    assert _post(client, "member-a", "bad-2", ip="10.0.0.2").status_code == 200
    third = _post(client, "MEMBER-A", "bad-3", ip="10.0.0.3")  # case does not buy extra attempts
    assert third.status_code == 429
    right = _post(client, "member-a", PASSWORD, ip="10.0.0.4")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert int(right["Retry-After"]) > 500
    text = right.content.decode()
    assert "Too many failed log-in attempts" in text
    assert "try again in 10 minutes" in text
    assert events(agency_a, actions.AUTH_LOGIN) == []
    # Other accounts are not affected by this account's throttle.
    assert _post(client, "someone-else", "x", ip="10.0.0.9").status_code == 200


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=100, LOGIN_FAILURE_IP_LIMIT=3)
def test_throttle_per_ip_across_usernames(client, member_a, viewer_a):
    for name in ("a", "b", "c"):
        _post(client, name, "x", ip="192.0.2.7")
    assert _post(client, "member-a", PASSWORD, ip="192.0.2.7").status_code == 429
    # Another address is not throttled.
    assert _post(client, "viewer-a", PASSWORD, ip="192.0.2.8").status_code == 302


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=2, LOGIN_FAILURE_WINDOW_SECONDS=60)
def test_throttle_ends_when_failures_leave_the_window(client, member_a):
    from datetime import timedelta

    from django.utils import timezone

    _post(client, "member-a", "bad")
    _post(client, "member-a", "bad")
    assert _post(client, "member-a", PASSWORD).status_code == 429
    LoginFailure.objects.update(occurred_at=timezone.now() - timedelta(seconds=61))
    assert _post(client, "member-a", PASSWORD).status_code == 302


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_success_clears_failures_of_the_account(client, member_a):
    _post(client, "member-a", "bad")
    _post(client, "member-a", "bad")
    assert _post(client, "member-a", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="member-a").exists()


@pytest.mark.django_db
def test_logout_is_post_only_and_audited(client, agency_a, member_a, events):
    client.force_login(member_a)
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    [event] = events(agency_a, actions.AUTH_LOGOUT)
    assert event.details == {"user_id": member_a.pk}


@pytest.mark.django_db
def test_session_expires_after_configured_age(client, member_a, settings):
    client.force_login(member_a)
    client.get("/")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert settings.SESSION_SAVE_EVERY_REQUEST  # inactivity timeout, not a fixed lifetime


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_FAILURE_IP_LIMIT=100)
def test_username_and_email_share_one_throttle(client, member_a):
    _post(client, "member-a", "bad", ip="10.0.0.1")
    _post(client, "member-a@example.gouv.fr", "bad", ip="10.0.0.2")
    _post(client, "MEMBER-A@EXAMPLE.GOUV.FR", "bad", ip="10.0.0.3")
    assert _post(client, "member-a", PASSWORD, ip="10.0.0.4").status_code == 429
