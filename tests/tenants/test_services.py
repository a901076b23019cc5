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


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(admin_a, agency_a, monkeypatch):
    """Both demotions check "is there another admin?" before either commits; the agency row lock serialises them.

    The audit hook holds the first writer open until the second has had its chance to read (or 2 s pass, which is
    what happens once the second writer is queued behind the lock).
    """
    import threading

    from django.contrib.auth.models import User
    from django.db import connection

    import tenants.services as services

    second = User.objects.create_user(username="admin-a2", password="pw-Tramontane-123")
    Membership.objects.create(user=second, agency=agency_a, role=Role.AGENCY_ADMIN)
    barrier = threading.Barrier(2)
    real_record = services.audit.record

    def slow_record(**kwargs):
        try:
            barrier.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return real_record(**kwargs)

    monkeypatch.setattr(services.audit, "record", slow_record)
    outcomes: dict[str, str] = {}

    def demote(user) -> None:
        try:
            membership = Membership.objects.get(user=user, agency=agency_a)
            membership_change_role(membership=membership, role=Role.MEMBER, actor=ACTOR)
            outcomes[user.username] = "demoted"
        except MembershipError:
            outcomes[user.username] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(user,)) for user in (admin_a, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes.values()) == ["demoted", "refused"]
    assert Membership.objects.filter(agency=agency_a, role=Role.AGENCY_ADMIN).count() == 1
