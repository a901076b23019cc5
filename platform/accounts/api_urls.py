from __future__ import annotations

from django.urls import path

from accounts import api

app_name = "accounts_api"
urlpatterns = [
    path("keys", api.ApiKeysView.as_view(), name="keys"),
    path("keys/<int:key_id>/revoke", api.ApiKeyRevokeView.as_view(), name="key_revoke"),
]
