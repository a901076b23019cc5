"""Structural accessibility of the account and console pages: one h1, landmarks, every control labelled."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tenants.models import Role

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _problems(html: str) -> list[str]:
    page = _Page()
    page.feed(html)
    tags = page.tags
    problems = []
    if sum(1 for tag, _ in tags if tag == "h1") != 1:
        problems.append("exactly one <h1> expected")
    for landmark in ("header", "main", "footer"):
        if not any(tag == landmark for tag, _ in tags):
            problems.append(f"no <{landmark}>")
    if not any(tag == "a" and attrs.get("href") == "#main" for tag, attrs in tags):
        problems.append("no skip link to #main")
    if not any(tag == "html" and attrs.get("lang") for tag, attrs in tags):
        problems.append("<html> has no lang")
    labelled = {attrs.get("for") for tag, attrs in tags if tag == "label"}
    for tag, attrs in tags:
        if tag not in ("input", "select", "textarea") or attrs.get("type") in UNLABELLED_TYPES:
            continue
        if attrs.get("id") not in labelled and not attrs.get("aria-label") and not attrs.get("aria-labelledby"):
            problems.append(f"unlabelled <{tag} name={attrs.get('name')!r}>")
    ids = [attrs["id"] for _, attrs in tags if attrs.get("id")]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        problems.append(f"duplicate ids {sorted(duplicates)}")
    return problems


ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/password/reset/", "/accounts/password/reset/sent/"]
ADMIN_PAGES = [
    "/a/agency-a/",
    "/a/agency-a/console/",
    "/a/agency-a/console/members/",
    "/a/agency-a/console/keys/",
    "/a/agency-a/console/keys/new/",
    "/accounts/password/change/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_anonymous_pages(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert _problems(response.content.decode()) == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages(client, admin_a, member_a, agency_b, url):
    from tenants.models import Membership

    Membership.objects.create(user=admin_a, agency=agency_b, role=Role.VIEWER)  # shows the workspace switcher
    client.force_login(admin_a)
    response = client.get(url)
    assert response.status_code == 200
    assert _problems(response.content.decode()) == []


@pytest.mark.django_db
def test_pages_with_errors_and_results(client, admin_a, make_key, agency_a):
    client.force_login(admin_a)
    pages = [
        client.post("/a/agency-a/console/members/", {"email": "bad", "role": "viewer"}),
        client.post("/a/agency-a/console/keys/new/", {"name": "k", "role": "viewer"}),
        client.post("/accounts/password/change/", {"old_password": "x"}),
    ]
    make_key(agency_a, Role.MEMBER)
    from accounts.models import ApiKey

    key = ApiKey.unscoped_objects.get(agency=agency_a, name="test-member")
    pages.append(client.get(f"/a/agency-a/console/keys/{key.pk}/revoke/"))
    pages.append(client.get(f"/a/agency-a/console/members/{admin_a.pk}/remove/"))
    for response in pages:
        assert _problems(response.content.decode()) == [], response.request["PATH_INFO"]


def test_checker_finds_problems():
    bad = '<html><body><h1>a</h1><h1>b</h1><input name="q"><input id="x"><input id="x" type="hidden"></body></html>'
    problems = _problems(bad)
    assert "exactly one <h1> expected" in problems
    assert "unlabelled <input name='q'>" in problems
    assert "no <main>" in problems and "no skip link to #main" in problems
    assert any(p.startswith("duplicate ids") for p in problems)
