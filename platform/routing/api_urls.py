from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from routing.api import PolicyView

app_name = "routing_api"
urlpatterns: list[URLPattern | URLResolver] = [
    path("policy", PolicyView.as_view(), name="policy"),
]
