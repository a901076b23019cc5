from __future__ import annotations

from django.urls import path

from web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("workspace/switch/", views.switch_workspace, name="switch_workspace"),
    path("a/<slug:agency_slug>/", views.workspace, name="workspace"),
]
