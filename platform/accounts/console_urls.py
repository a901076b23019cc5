from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "accounts_console"
urlpatterns: list[URLPattern | URLResolver] = []
