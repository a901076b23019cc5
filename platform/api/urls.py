from __future__ import annotations

from django.urls import include, path

from api import views

urlpatterns = [
    path("me", views.MeView.as_view(), name="me"),
    path("members", views.MembersView.as_view(), name="members"),
    path("members/<int:user_id>", views.MemberDetailView.as_view(), name="member_detail"),
    path("", include("accounts.api_urls")),
    path("", include("routing.api_urls")),
    path("", include("documents.api_urls")),
    path("", include("jobs.api_urls")),
    path("", include("audit.api_urls")),
]
