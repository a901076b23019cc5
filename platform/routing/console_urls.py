from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from routing import views

app_name = "routing_console"
urlpatterns: list[URLPattern | URLResolver] = [
    path("policy/", views.policy, name="policy"),
]
