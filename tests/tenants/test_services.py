from __future__ import annotations

import pytest

from audit.actors import Actor
from audit.models import AuditEvent
from tenants.models import Membership, Role
from tenants.scope import agency_scope
from tenants.services import MembershipError, membership_add, membership_change_role, membership_remove

ACTOR = Actor.system("tests")


@pytest.mark.django_db
def test_last_admin_cannot_be_demoted_or_removed(admin_a, agency_a):
    membership = Membership.objects.get(user=admin_a)
    with pytest.raises(MembershipError, match="at least one agency admin"):
        membership_change_role(membership=membership, role=Role.MEMBER, actor=ACTOR)
    with pytest.raises(MembershipError):
        membership_remove(membership=membership, actor=ACTOR)
    assert Membership.objects.get(user=admin_a).role == Role.AGENCY_ADMIN


@pytest.mark.django_db
def test_member_changes_are_audited_in_their_agency(admin_a, outsider, agency_a, agency_b):
    membership = membership_add(agency=agency_a, user=outsider, role=Role.VIEWER, actor=ACTOR)
    membership_change_role(membership=membership, role=Role.MEMBER, actor=ACTOR)
    membership_remove(membership=membership, actor=ACTOR)
    with agency_scope(agency_a):
        actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions[-3:] == ["member.added", "member.role_changed", "member.removed"]
    with agency_scope(agency_b):
        assert not AuditEvent.objects.filter(action__startswith="member.").exists()


@pytest.mark.django_db
def test_adding_twice_is_refused(member_a, agency_a):
    with pytest.raises(MembershipError, match="already a member"):
        membership_add(agency=agency_a, user=member_a, role=Role.VIEWER, actor=ACTOR)
