from __future__ import annotations

from collections.abc import Callable

import pytest

from audit.models import AuditEvent
from tenants.models import Agency


@pytest.fixture
def events() -> Callable[..., list[AuditEvent]]:
    """The audit events of one agency with one action, oldest first."""

    def find(agency: Agency, action: str) -> list[AuditEvent]:
        # Tests read the trail across the request boundary, outside any agency scope.
        return list(AuditEvent.unscoped_objects.filter(agency=agency, action=action).order_by("sequence"))

    return find
