from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from jobs import console_views

app_name = "jobs_console"
urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/", console_views.webhooks, name="webhooks"),
    path("webhooks/<int:webhook_id>/delete/", console_views.webhook_remove, name="webhook_delete"),
    path("glossary/", console_views.glossary, name="glossary"),
    path("glossary/<int:entry_id>/delete/", console_views.glossary_remove, name="glossary_delete"),
    path("usage/", console_views.usage, name="usage"),
]
