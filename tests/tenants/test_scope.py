from __future__ import annotations

import pytest

from accounts.models import ApiKey
from audit.models import AuditEvent
from tenants.scope import CrossAgencyWrite, NoAgencyInScope, agency_scope, all_agencies


@pytest.mark.django_db
def test_scoped_manager_raises_without_agency(agency_a, make_key):
    make_key(agency_a)
    with pytest.raises(NoAgencyInScope):
        list(ApiKey.objects.all())
    with pytest.raises(NoAgencyInScope):
        AuditEvent.objects.count()


@pytest.mark.django_db
def test_scoped_manager_filters_by_agency(agency_a, agency_b, make_key):
    make_key(agency_a)
    make_key(agency_b)
    make_key(agency_b)
    with agency_scope(agency_a):
        assert {k.agency_id for k in ApiKey.objects.all()} == {agency_a.pk}
    with agency_scope(agency_b):
        assert ApiKey.objects.count() == 2
    with all_agencies():
        assert ApiKey.objects.count() == 3


@pytest.mark.django_db
def test_save_refuses_other_agency_row(agency_a, agency_b, make_key):
    make_key(agency_b)
    key_b = ApiKey.unscoped_objects.get(agency=agency_b)
    with agency_scope(agency_a), pytest.raises(CrossAgencyWrite):
        key_b.name = "hijacked"
        key_b.save()
    assert ApiKey.unscoped_objects.get(pk=key_b.pk).name != "hijacked"


@pytest.mark.django_db
def test_save_refuses_without_scope(agency_a, make_key):
    make_key(agency_a)
    key = ApiKey.unscoped_objects.get(agency=agency_a)
    key.name = "no scope"
    with pytest.raises(NoAgencyInScope):
        key.save()
