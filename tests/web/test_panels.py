from __future__ import annotations

import pytest
from django.utils.html import format_html

from web import panels


def sample_panel(request) -> str:
    return format_html('<section id="sample-panel"><h2>Recent</h2><p>{}</p></section>', request.agency.name)


def empty_panel(request) -> str:
    return ""


@pytest.mark.django_db
def test_workspace_home_shows_contributed_panels_and_skips_absent_ones(client, member_a, monkeypatch):
    monkeypatch.setattr(
        panels,
        "WORKSPACE_PANELS",
        (
            "tests.web.test_panels.sample_panel",
            "tests.web.test_panels.empty_panel",
            "no_such_package.panels.recent",
        ),
    )
    client.force_login(member_a)
    html = client.get("/a/agency-a/").content.decode()
    assert '<section id="sample-panel"><h2>Recent</h2><p>Agency A</p></section>' in html


@pytest.mark.django_db
def test_a_broken_panel_is_not_hidden(client, member_a, monkeypatch):
    monkeypatch.setattr(panels, "WORKSPACE_PANELS", ("tests.web.test_panels.missing_function",))
    client.force_login(member_a)
    with pytest.raises(ImportError):
        client.get("/a/agency-a/")
