from __future__ import annotations

from django.core.exceptions import PermissionDenied

from api.errors import exception_handler


def test_django_permission_denied_keeps_its_reason():
    response = exception_handler(PermissionDenied("Auditors are read-only: ask an agency admin."), {})
    assert response is not None and response.status_code == 403
    assert response.data == {"error": {"code": "forbidden", "message": "Auditors are read-only: ask an agency admin."}}
