from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from audit import views

app_name = "audit_console"
urlpatterns: list[URLPattern | URLResolver] = [
    path("audit/", views.events, name="events"),
    path("audit/verify", views.verify, name="verify"),
    path("audit/export", views.export, name="export"),
    path("audit/checkpoints", views.checkpoints, name="checkpoints"),
    path("audit/retention", views.retention, name="retention"),
    path("audit/jobs/<int:job_id>/receipt", views.job_receipt_download, name="job-receipt"),
]
