from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from routing.models import Endpoint
from routing.selectors import policy_current
from tenants.scope import agency_scope

URL = "/api/v1/policy"
RULES = {
    "internal": {
        "hosting": ["on_premises", "public_cloud"],
        "jurisdictions": ["FR", "EU", "US"],
        "processing": ["EU"],
        "endpoints": ["azure-dz"],
        "degraded_mode": False,
    },
    "sensitive": {"hosting": ["on_premises"], "jurisdictions": ["FR"], "endpoints": [], "degraded_mode": True},
}


@pytest.fixture
def endpoints(db):
    Endpoint.objects.create(
        name="azure-dz",
        kind="azure_ai_inference",
        hosting="public_cloud",
        jurisdiction="US",
        region="francecentral",
        deployment_type="datazone-eu",
        max_classification="internal",
        base_url="https://x.services.ai.azure.com/models",
        secret_env="AZ_SECRET_NAME",
    )


def test_reverse_name():
    assert reverse("routing_api:policy") == URL


def test_get_returns_current_policy_for_readers(agency_a, make_key, api_client, endpoints):
    response = api_client(make_key(agency_a, "viewer")).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1 and body["default_classification"] == "internal"
    assert "sensitive" in body["rules"]
    (available,) = body["available_endpoints"]
    assert available["name"] == "azure-dz" and "secret_env" not in available and "base_url" not in available


def test_admin_put_creates_version_and_audits(agency_a, agency_b, make_key, api_client, endpoints):
    client = api_client(make_key(agency_a, "agency_admin"))
    response = client.put(URL, {"default_classification": "sensitive", "rules": RULES}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2 and response.json()["rules"] == RULES
    assert policy_current(agency=agency_a).default_classification == "sensitive"
    assert policy_current(agency=agency_b).version == 1  # agency B untouched
    with agency_scope(agency_a):
        event = AuditEvent.objects.filter(action="policy.changed").order_by("sequence").last()
        assert event.details["version"] == 2 and event.actor_kind == "api_key"
    with agency_scope(agency_b):
        assert not AuditEvent.objects.filter(action="policy.changed", details__version=2).exists()


@pytest.mark.parametrize("role", ["member", "viewer", "auditor"])
def test_put_needs_agency_admin(agency_a, make_key, api_client, role, endpoints):
    response = api_client(make_key(agency_a, role)).put(
        URL, {"default_classification": "internal", "rules": RULES}, format="json"
    )
    assert response.status_code == 403
    assert policy_current(agency=agency_a).version == 1


def test_outsider_and_anonymous(outsider, api_client, agency_a):
    assert api_client().get(URL).status_code in (401, 403)
    client = api_client()
    client.force_login(outsider)
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        (
            {"sensitive": {"hosting": ["on_premises"], "jurisdictions": ["FR"], "endpoints": ["azure-dz"]}},
            "rules.sensitive.endpoints",
        ),  # ceiling is internal: cannot widen
        (
            {"internal": {"hosting": ["on_premises"], "jurisdictions": ["FR"], "endpoints": ["nope"]}},
            "rules.internal.endpoints",
        ),
        ({"internal": {"hosting": ["moon"], "jurisdictions": ["FR"]}}, "rules.internal.hosting"),
        ({"secret": {"hosting": ["on_premises"]}}, "rules.secret"),
        ({"internal": {"hosting": ["on_premises"], "jurisdictions": "FR"}}, "rules.internal.jurisdictions"),
    ],
)
def test_put_rejects_with_field_details(agency_a, make_key, api_client, endpoints, rules, field):
    client = api_client(make_key(agency_a, "agency_admin"))
    response = client.put(URL, {"default_classification": "internal", "rules": rules}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_policy" and field in error["details"]
    assert policy_current(agency=agency_a).version == 1


def test_put_rejects_unknown_top_level_fields(agency_a, make_key, api_client):
    client = api_client(make_key(agency_a, "agency_admin"))
    response = client.put(URL, {"default_classification": "internal", "rules": {}, "owner": "x"}, format="json")
    assert response.status_code == 400 and "owner" in response.json()["error"]["message"]
    response = client.put(URL, ["nope"], format="json")
    assert response.status_code == 400


def test_schema_documents_policy(admin_a, client):
    client.force_login(admin_a)
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/policy" in schema
