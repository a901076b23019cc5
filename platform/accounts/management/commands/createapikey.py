from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.services import api_key_create
from audit.actors import Actor
from tenants.models import Agency, Role


class Command(BaseCommand):
    help = "Create an API key for an agency. The key is printed once, as the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", required=True, help="agency slug")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="cli")
        parser.add_argument("--expires-in-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Agency.objects.filter(slug=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency {options['agency']!r}. Create it with: manage.py createagency.")
        days = options["expires_in_days"]
        expires_at = timezone.now() + timedelta(days=days) if days else None
        key, plaintext = api_key_create(
            agency=agency,
            actor=Actor.system("manage.py createapikey"),
            name=options["name"],
            role=options["role"],
            expires_at=expires_at,
        )
        self.stderr.write(f"Key {key.prefix} for {agency.slug} ({key.role}). Store it now: it is not shown again.")
        self.stdout.write(plaintext)
