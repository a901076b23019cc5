from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from jobs import views

app_name = "jobs"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.job_list, name="list"),
    path("new/", views.job_create_view, name="create"),
    path("<int:job_id>/", views.job_detail, name="detail"),
    path("<int:job_id>/status/", views.job_status_fragment, name="status"),
    path("<int:job_id>/cancel/", views.job_cancel_view, name="cancel"),
    path("<int:job_id>/download/<str:fmt>/", views.job_download, name="download"),
]
