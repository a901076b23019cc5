from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from jobs import api

app_name = "jobs_api"
urlpatterns: list[URLPattern | URLResolver] = [
    path("jobs", api.JobListView.as_view(), name="list"),
    path("jobs/<int:job_id>", api.JobDetailView.as_view(), name="detail"),
    path("jobs/<int:job_id>/cancel", api.JobCancelView.as_view(), name="cancel"),
    path("jobs/<int:job_id>/result", api.JobResultView.as_view(), name="result"),
    path("glossary", api.GlossaryListView.as_view(), name="glossary"),
    path("glossary/<int:entry_id>", api.GlossaryDetailView.as_view(), name="glossary-detail"),
]
