from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.actors import Actor
from tenants.models import Agency
from tenants.services import agency_create


class Command(BaseCommand):
    help = "Create an agency (tenant)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--country", default="FR", help="ISO 3166-1 alpha-2 code (default FR)")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["slug"]
        if Agency.objects.filter(slug=slug).exists():
            raise CommandError(f"Agency {slug!r} already exists: choose another slug, or edit it in Django admin.")
        try:
            agency = agency_create(
                slug=slug,
                name=options["name"],
                country_code=options["country"],
                actor=Actor.system("manage.py createagency"),
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(f"Created agency {agency.slug} ({agency.name}).")
