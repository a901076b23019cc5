"""French is complete: every message of the catalogue is translated, not fuzzy, compiled, and used by the pages."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _entries(text: str) -> list[dict]:
    """The entries of a .po file: flags and fields (msgid, msgid_plural, msgstr, msgstr[n]) with joined strings."""
    entries = []
    for block in text.strip().split("\n\n"):
        entry: dict = {"flags": set(), "fields": {}}
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry["fields"][current] += ast.literal_eval(line)
            else:
                current, _, value = line.partition(" ")
                entry["fields"][current] = ast.literal_eval(value)
        if entry["fields"].get("msgid"):  # skip the header
            entries.append(entry)
    return entries


def _translations(entry: dict) -> list[str]:
    fields = entry["fields"]
    if "msgid_plural" in fields:
        return [value for key, value in fields.items() if key.startswith("msgstr[")]
    return [fields.get("msgstr", "")]


def test_catalogue_is_not_empty():
    assert len(_entries(PO.read_text(encoding="utf-8"))) > 100


def test_every_message_is_translated_and_not_fuzzy():
    problems = []
    for entry in _entries(PO.read_text(encoding="utf-8")):
        msgid = entry["fields"]["msgid"]
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {msgid!r}")
        if not all(_translations(entry)):
            problems.append(f"untranslated: {msgid!r}")
    assert not problems, "Translate these in locale/fr/LC_MESSAGES/django.po:\n" + "\n".join(problems)


def test_placeholders_match():
    problems = []
    for entry in _entries(PO.read_text(encoding="utf-8")):
        expected = set(PLACEHOLDER.findall(entry["fields"]["msgid"]))
        for translated in _translations(entry):
            if set(PLACEHOLDER.findall(translated)) != expected:
                problems.append(entry["fields"]["msgid"])
    assert not problems, f"Placeholders differ from the English: {problems}"


def test_compiled_catalogue_matches_the_po():
    """A stale .mo would serve old or missing French: run `manage.py compilemessages` after editing the .po."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in _entries(PO.read_text(encoding="utf-8")):
        fields = entry["fields"]
        context = fields.get("msgctxt")
        if "msgid_plural" in fields:
            got = compiled.ngettext(fields["msgid"], fields["msgid_plural"], 1)
            want = fields["msgstr[0]"]
        elif context is not None:
            got, want = compiled.pgettext(context, fields["msgid"]), fields["msgstr"]
        else:
            got, want = compiled.gettext(fields["msgid"]), fields["msgstr"]
        if got != want:
            stale.append(fields["msgid"])
    assert not stale, f"locale/fr/LC_MESSAGES/django.mo is stale for: {stale[:10]}"


@pytest.mark.django_db
def test_switching_language_renders_pages_in_french(client, admin_a):
    client.force_login(admin_a)
    english = client.get("/a/agency-a/console/members/").content.decode()
    assert 'lang="en"' in english and "Add a member" in english
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/a/agency-a/console/members/"})
    assert response.status_code == 302
    french = client.get("/a/agency-a/console/members/").content.decode()
    assert 'lang="fr"' in french
    assert "Ajouter un membre" in french
    assert "Aller au contenu principal" in french
    assert "Administrateur de l’agence" in french  # model choices are translated too
    assert "Add a member" not in french


@pytest.mark.django_db
def test_login_page_in_french_from_browser_preference(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert "Se connecter" in html and "Identifiant ou e-mail" in html
