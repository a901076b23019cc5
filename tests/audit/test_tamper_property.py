"""Property: any single-field edit of any event, made behind the triggers' back, is reported at its sequence."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.verification import chain_verify

from .conftest import fill

pytestmark = pytest.mark.django_db

COUNT = 12
EDITS = {
    "action": "'tampered.action'",
    "actor_label": "'someone-else'",
    "actor_id": "'999'",
    "target_id": "'777'",
    "details": """'{"index": -1}'""",
    "occurred_at": "occurred_at + interval '1 second'",
    "ip": "'203.0.113.9'",
    "user_agent": "'curl/8'",
}


class _Undo(Exception):
    pass


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.integers(min_value=1, max_value=COUNT), column=st.sampled_from(sorted(EDITS)))
def test_any_single_edit_is_reported_edited_at_its_sequence(agency_a, raw_sql, sequence, column):
    with pytest.raises(_Undo), transaction.atomic():  # each example starts from a clean chain
        fill(agency_a, COUNT)
        raw_sql(
            f"UPDATE audit_auditevent SET {column} = {EDITS[column]} WHERE agency_id = %s AND sequence = %s",
            [agency_a.pk, sequence],
        )
        problem = chain_verify(agency=agency_a).problem
        assert problem is not None
        assert (problem.kind, problem.sequence) == ("edited", sequence)
        raise _Undo
