from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from documents import api

app_name = "documents_api"
urlpatterns: list[URLPattern | URLResolver] = [
    path("documents", api.DocumentListView.as_view(), name="list"),
    path("documents/<int:document_id>", api.DocumentDetailView.as_view(), name="detail"),
]
