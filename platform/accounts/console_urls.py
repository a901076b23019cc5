from __future__ import annotations

from django.urls import path

from accounts import console_views as views

app_name = "accounts_console"
urlpatterns = [
    path("", views.console_home, name="home"),
    path("members/", views.members, name="members"),
    path("members/<int:user_id>/role/", views.member_role, name="member_role"),
    path("members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("keys/", views.keys, name="keys"),
    path("keys/new/", views.key_create, name="key_create"),
    path("keys/<int:key_id>/revoke/", views.key_revoke, name="key_revoke"),
]
