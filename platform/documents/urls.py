from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from documents import views

app_name = "documents"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.document_list, name="list"),
    path("upload/", views.document_upload_view, name="upload"),
    path("<int:document_id>/", views.document_detail, name="detail"),
]
