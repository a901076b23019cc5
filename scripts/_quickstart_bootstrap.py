"""Quick start, inside the virtualenv: the demo agency, its admin, the local model endpoints.

Run by scripts/quickstart.py with the project importable. Progress goes to stderr; the last stdout line is JSON
for quickstart.py: {"username": ..., "password": ... or null}. The password exists only in that pipe and on the
operator's terminal: it is printed once and stored nowhere in clear (the database keeps Django's hash).
"""

from __future__ import annotations

import json
import secrets
import sys

import django

DEMO_SLUG = "demo"
DEMO_NAME = "Demo agency"
ADMIN_USERNAME = "admin"


def main() -> None:
    django.setup()
    from audit.actors import Actor

    actor = Actor.system("quickstart")
    agency = _demo_agency(actor)
    username, password = _admin_user(agency, actor)
    if "--no-detect" not in sys.argv[1:]:
        _detect_endpoints()
    print(json.dumps({"username": username, "password": password, "agency": agency.slug}), flush=True)


def _demo_agency(actor):
    from tenants.models import Agency
    from tenants.services import agency_create

    agency = Agency.objects.filter(slug=DEMO_SLUG).first()
    if agency is None:
        agency = agency_create(slug=DEMO_SLUG, name=DEMO_NAME, country_code="FR", actor=actor)
        _say(f"Created the agency {DEMO_SLUG!r} ({DEMO_NAME}).")
    return agency


def _admin_user(agency, actor) -> tuple[str, str | None]:
    from django.contrib.auth import get_user_model

    from tenants.models import Membership, Role
    from tenants.services import membership_add

    user_model = get_user_model()
    user = user_model.objects.filter(username=ADMIN_USERNAME).first()
    password: str | None = None
    if user is None:
        password = secrets.token_urlsafe(15)
        user = user_model.objects.create_superuser(username=ADMIN_USERNAME, email="admin@localhost", password=password)
        _say(f"Created the user {ADMIN_USERNAME!r} (platform operator).")
    if not Membership.objects.filter(user=user, agency=agency).exists():
        membership_add(agency=agency, user=user, role=Role.AGENCY_ADMIN, actor=actor)
        _say(f"Made {ADMIN_USERNAME!r} agency admin of {agency.slug!r}.")
    return ADMIN_USERNAME, password


def _detect_endpoints() -> None:
    """Register a local Ollama / llama.cpp / vLLM when the routing package offers the command."""
    from django.core.management import call_command, get_commands

    if "detectendpoints" not in get_commands():
        return
    _say("Looking for local model servers (Ollama, llama.cpp, vLLM)...")
    try:
        call_command("detectendpoints", stdout=sys.stderr, stderr=sys.stderr)
    except Exception as exc:
        # No local model is a normal situation; the built-in summariser still works.
        _say(f"Model server detection failed ({type(exc).__name__}: {exc}); continuing without it.")


def _say(message: str) -> None:
    print(f"    {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
