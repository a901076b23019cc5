from __future__ import annotations

from routing.selectors import policy_current

PASSWORD = "pw-Tramontane-123"


def _url(agency):
    return f"/a/{agency.slug}/console/policy/"


def _form(**overrides):
    data = {
        "default_classification": "internal",
        "internal-enabled": "on",
        "internal-hosting": ["on_premises"],
        "internal-jurisdictions": "fr, eu",
        "internal-processing": "",
        "internal-endpoints": "",
        "internal-degraded_mode": "on",
        "sensitive-enabled": "on",
        "sensitive-hosting": ["on_premises"],
        "sensitive-jurisdictions": "FR",
    }
    data.update(overrides)
    return data


def test_admin_views_and_saves(client, admin_a, agency_a):
    client.force_login(admin_a)
    page = client.get(_url(agency_a))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Residency policy" in html and 'name="sensitive-hosting"' in html and "<legend>" in html
    response = client.post(_url(agency_a), _form())
    assert response.status_code == 302
    current = policy_current(agency=agency_a)
    assert current.version == 2
    assert current.rules == {
        "internal": {"hosting": ["on_premises"], "jurisdictions": ["FR", "EU"], "endpoints": [], "degraded_mode": True},
        "sensitive": {"hosting": ["on_premises"], "jurisdictions": ["FR"], "endpoints": [], "degraded_mode": False},
    }


def test_invalid_endpoint_shows_error_and_keeps_input(client, admin_a, agency_a):
    client.force_login(admin_a)
    response = client.post(_url(agency_a), _form(**{"internal-endpoints": "ghost-endpoint"}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "ghost-endpoint" in html and "unknown endpoint" in html
    assert policy_current(agency=agency_a).version == 1


def test_member_reads_but_cannot_save(client, member_a, agency_a):
    client.force_login(member_a)
    page = client.get(_url(agency_a))
    assert page.status_code == 200 and "Save as a new version" not in page.content.decode()
    assert client.post(_url(agency_a), _form()).status_code == 403
    assert policy_current(agency=agency_a).version == 1


def test_other_agency_and_outsider_get_404(client, admin_b, outsider, agency_a):
    client.force_login(admin_b)
    assert client.get(_url(agency_a)).status_code == 404
    client.force_login(outsider)
    assert client.get(_url(agency_a)).status_code == 404
