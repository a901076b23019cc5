from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from web import health

# Everything an agency owns lives under /a/<agency_slug>/ (pages) or /api/v1/ (scope from the key or session).
agency_patterns = [
    path("documents/", include("documents.urls")),
    path("jobs/", include("jobs.urls")),
    path("console/", include("accounts.console_urls")),
    path("console/", include("routing.console_urls")),
    path("console/", include("jobs.console_urls")),
    path("console/", include("audit.console_urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("api.urls")),
    path("a/<slug:agency_slug>/", include(agency_patterns)),
    path("", include("web.urls")),
]
