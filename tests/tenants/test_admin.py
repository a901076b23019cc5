"""Operator edits in Django admin go through the services: every agency and membership change is audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from audit.models import AuditEvent
from tenants.models import Agency, Membership, Role
from tenants.scope import agency_scope


@pytest.fixture
def operator_client(client, db):
    operator = User.objects.create_superuser(username="operator", password="pw-Tramontane-123")
    client.force_login(operator)
    return client


def _form(agency: Agency, rows: list[dict[str, object]], initial: int) -> dict[str, object]:
    data: dict[str, object] = {
        "slug": agency.slug,
        "name": agency.name,
        "country_code": agency.country_code,
        "upload_limit_mb": agency.upload_limit_mb,
        "memberships-TOTAL_FORMS": len(rows),
        "memberships-INITIAL_FORMS": initial,
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"memberships-{index}-{key}"] = value
        data[f"memberships-{index}-agency"] = agency.pk
    return data


def _actions(agency: Agency) -> list[str]:
    with agency_scope(agency):
        return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


def test_admin_membership_add_and_agency_edit_are_audited(operator_client, agency_a, agency_b, admin_a, outsider):
    admin_row = Membership.objects.get(user=admin_a, agency=agency_a)
    agency_a.name = "Agency A renamed"
    data = _form(
        agency_a,
        [
            {"id": admin_row.pk, "user": admin_a.pk, "role": Role.AGENCY_ADMIN},
            {"user": outsider.pk, "role": Role.VIEWER},
        ],
        initial=1,
    )
    response = operator_client.post(reverse("admin:tenants_agency_change", args=[agency_a.pk]), data)
    assert response.status_code == 302, response.content[:2000]
    assert Membership.objects.get(user=outsider, agency=agency_a).role == Role.VIEWER
    assert _actions(agency_a)[-2:] == ["agency.updated", "member.added"]
    assert not any(action.startswith(("agency.", "member.")) for action in _actions(agency_b))


def test_admin_cannot_remove_the_last_admin(operator_client, agency_a, admin_a):
    admin_row = Membership.objects.get(user=admin_a, agency=agency_a)
    before = _actions(agency_a)
    data = _form(agency_a, [{"id": admin_row.pk, "user": admin_a.pk, "role": Role.AGENCY_ADMIN, "DELETE": "on"}], 1)
    operator_client.post(reverse("admin:tenants_agency_change", args=[agency_a.pk]), data)
    assert Membership.objects.filter(user=admin_a, agency=agency_a, role=Role.AGENCY_ADMIN).exists()
    assert "member.removed" not in _actions(agency_a)[len(before) :]


def test_admin_status_is_read_only_in_the_form(operator_client, agency_a):
    data = _form(agency_a, [], 0)
    data["status"] = "suspended"
    operator_client.post(reverse("admin:tenants_agency_change", args=[agency_a.pk]), data)
    agency_a.refresh_from_db()
    assert agency_a.status == "active"  # suspend with the audited admin action instead


def test_admin_can_replace_the_only_admin_in_one_save(operator_client, agency_a, admin_a, outsider):
    admin_row = Membership.objects.get(user=admin_a, agency=agency_a)
    rows = [
        {"id": admin_row.pk, "user": admin_a.pk, "role": Role.AGENCY_ADMIN, "DELETE": "on"},
        {"user": outsider.pk, "role": Role.AGENCY_ADMIN},
    ]
    operator_client.post(reverse("admin:tenants_agency_change", args=[agency_a.pk]), _form(agency_a, rows, 1))
    assert list(Membership.objects.filter(agency=agency_a).values_list("user__username", "role")) == [
        ("outsider", Role.AGENCY_ADMIN)
    ]
    assert _actions(agency_a)[-2:] == ["member.added", "member.removed"]
