from __future__ import annotations

import pytest

from accounts.models import ApiKey
from tenants.models import AgencyStatus
from tenants.scope import current_agency_or_none
from tenants.tasks import agency_task


@agency_task(name="tests.tenants.count_keys")
def count_keys(agency_id: int, key_id: int | None = None) -> dict:
    """Sees only its own agency's rows: a key id of another agency is simply not found."""
    visible = ApiKey.objects.filter(pk=key_id).exists() if key_id is not None else None
    return {"count": ApiKey.objects.count(), "agency_id": agency_id, "sees_key": visible}


@pytest.mark.django_db
def test_task_runs_in_its_agency_scope(agency_a, agency_b, make_key):
    make_key(agency_a)
    make_key(agency_b)
    make_key(agency_b)
    key_b = ApiKey.unscoped_objects.filter(agency=agency_b).first()
    result = count_keys.apply(args=(agency_a.pk,), kwargs={"key_id": key_b.pk}).get()
    assert result == {"count": 1, "agency_id": agency_a.pk, "sees_key": False}
    assert count_keys.apply(args=(agency_b.pk, key_b.pk)).get()["sees_key"] is True
    assert current_agency_or_none() is None  # the scope does not leak out of the task


@pytest.mark.django_db
def test_task_for_suspended_agency_is_dropped(agency_a, make_key):
    make_key(agency_a)
    agency_a.status = AgencyStatus.SUSPENDED
    agency_a.save()
    assert count_keys.apply(args=(agency_a.pk,)).get() is None


@pytest.mark.django_db
def test_task_without_agency_id_fails():
    with pytest.raises(TypeError):
        count_keys.apply(args=(), throw=True).get()
