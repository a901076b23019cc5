from __future__ import annotations

import pytest

from audit.actors import Actor
from audit.models import AuditEvent
from routing.models import Endpoint, PolicyVersion
from routing.policy import PolicyInvalid
from routing.selectors import policy_current
from routing.services import policy_update
from tenants.scope import NoAgencyInScope, agency_scope

RULES = {"internal": {"hosting": ["on_premises"], "jurisdictions": ["FR"], "endpoints": [], "degraded_mode": False}}


def test_default_policy_is_created_once_and_audited(agency_a, agency_b):
    first = policy_current(agency=agency_a)
    again = policy_current(agency=agency_a)
    assert first.pk == again.pk and first.version == 1
    assert first.default_classification == "internal"
    assert first.rules["sensitive"]["hosting"] == ["on_premises"] and "restricted" not in first.rules
    assert first.rules["internal"]["degraded_mode"] is True
    with agency_scope(agency_a):
        assert AuditEvent.objects.filter(action="policy.changed").count() == 1
    with agency_scope(agency_b):
        assert AuditEvent.objects.filter(action="policy.changed").count() == 0
    assert policy_current(agency=agency_b).agency_id == agency_b.pk


def test_update_creates_new_version_per_agency(agency_a, agency_b):
    policy_current(agency=agency_a)
    version = policy_update(agency=agency_a, actor=Actor.system("t"), default_classification="public", rules=RULES)
    assert version.version == 2
    assert policy_current(agency=agency_a).version == 2
    assert policy_current(agency=agency_b).version == 1
    with agency_scope(agency_a):
        event = AuditEvent.objects.filter(action="policy.changed").last()
        assert event.details["version"] == 2 and "rules_sha256" in event.details


def test_policy_objects_fail_closed_without_scope(agency_a):
    policy_current(agency=agency_a)
    with pytest.raises(NoAgencyInScope):
        list(PolicyVersion.objects.all())


def test_update_rejects_unknown_endpoint_and_widening(agency_a):
    Endpoint.objects.create(
        name="low", kind="openai_compatible", hosting="on_premises", jurisdiction="FR", max_classification="internal"
    )
    bad = {"sensitive": {"hosting": ["on_premises"], "jurisdictions": ["FR"], "endpoints": ["low", "nope"]}}
    with pytest.raises(PolicyInvalid) as excinfo:
        policy_update(agency=agency_a, actor=Actor.system("t"), default_classification="internal", rules=bad)
    assert "rules.sensitive.endpoints" in excinfo.value.errors
    assert "'nope'" in str(excinfo.value) or "'low'" in str(excinfo.value)
    # every problem of the field is reported at once, not only the last one
    assert "'nope'" in excinfo.value.errors["rules.sensitive.endpoints"]
    assert "'low'" in excinfo.value.errors["rules.sensitive.endpoints"]
    with pytest.raises(PolicyInvalid) as excinfo:
        policy_update(
            agency=agency_a,
            actor=Actor.system("t"),
            default_classification="secret",
            rules={"topsecret": {}, "public": {"hosting": ["moon"], "colour": 1}},
        )
    errors = excinfo.value.errors
    assert "default_classification" in errors and "rules.topsecret" in errors
    assert "rules.public.hosting" in errors and "colour" in errors["rules.public"]
    assert policy_current(agency=agency_a).version == 1
