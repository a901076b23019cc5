from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from audit import api

app_name = "audit_api"
urlpatterns: list[URLPattern | URLResolver] = [
    path("audit/events", api.AuditEventsView.as_view(), name="events"),
    path("audit/verify", api.AuditVerifyView.as_view(), name="verify"),
    path("audit/checkpoints", api.AuditCheckpointsView.as_view(), name="checkpoints"),
    path("jobs/<int:job_id>/receipt", api.JobReceiptView.as_view(), name="job-receipt"),
]
