"""Fixtures shared by every suite: agency A, agency B and an outsider, with users of each role and API keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.services import api_key_create
from audit.actors import Actor
from tenants.models import Agency, Membership, Role

PASSWORD = "pw-Tramontane-123"


def pytest_configure(config):
    # WhiteNoise warns on every request when STATIC_ROOT is missing (collectstatic is not run for tests).
    from pathlib import Path

    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Production PBKDF2 costs ~0.5 s per user on CI machines; hashing strength is not what these tests check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _agency(slug: str, name: str) -> Agency:
    return Agency.objects.create(slug=slug, name=name, country_code="FR")


def _user(username: str, agency: Agency | None = None, role: str | None = None):
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.gouv.fr", password=PASSWORD
    )
    if agency is not None and role is not None:
        Membership.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def agency_a(db) -> Agency:
    return _agency("agency-a", "Agency A")


@pytest.fixture
def agency_b(db) -> Agency:
    return _agency("agency-b", "Agency B")


@pytest.fixture
def admin_a(agency_a):
    return _user("admin-a", agency_a, Role.AGENCY_ADMIN)


@pytest.fixture
def member_a(agency_a):
    return _user("member-a", agency_a, Role.MEMBER)


@pytest.fixture
def viewer_a(agency_a):
    return _user("viewer-a", agency_a, Role.VIEWER)


@pytest.fixture
def auditor_a(agency_a):
    return _user("auditor-a", agency_a, Role.AUDITOR)


@pytest.fixture
def admin_b(agency_b):
    return _user("admin-b", agency_b, Role.AGENCY_ADMIN)


@pytest.fixture
def member_b(agency_b):
    return _user("member-b", agency_b, Role.MEMBER)


@pytest.fixture
def outsider(db):
    return _user("outsider")


@pytest.fixture
def make_key(db) -> Callable[..., str]:
    def make(agency: Agency, role: str = Role.MEMBER, **kwargs) -> str:
        _, plaintext = api_key_create(
            agency=agency, actor=Actor.system("tests"), name=f"test-{role}", role=role, **kwargs
        )
        return plaintext

    return make


@pytest.fixture
def api_client() -> Callable[[str | None], APIClient]:
    def make(key: str | None = None) -> APIClient:
        client = APIClient()
        if key:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return make
