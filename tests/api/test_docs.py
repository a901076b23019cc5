from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders


@pytest.mark.django_db
def test_schema_documents_account_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/keys"])
    assert "post" in paths["/api/v1/keys/{key_id}/revoke"]
    assert {"get", "post"} <= set(paths["/api/v1/members"])
    assert {"patch", "delete"} <= set(paths["/api/v1/members/{user_id}"])


@pytest.mark.django_db
def test_api_docs_work_offline(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    # The assets the page names are shipped in our static files, not fetched from the network.
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
