from __future__ import annotations

from typing import Any

from documents.services import document_extract
from tenants.scope import current_agency
from tenants.tasks import agency_task


@agency_task(bind=True, max_retries=5)  # queue "parse": settings.CELERY_TASK_ROUTES
def document_extract_task(self: Any, agency_id: int, document_id: int) -> None:
    """CPU-bound: parsing runs in a child process under limits; the reconciler re-dispatches lost runs."""
    try:
        document_extract(agency=current_agency(), document_id=document_id)
    except OSError as exc:  # storage hiccup: try again later
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 5, 300)) from exc
