from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.endpoints_file import EndpointsFileInvalid, parse_entries
from routing.services import endpoints_load


class Command(BaseCommand):
    help = "Create or update model endpoints from a YAML file (idempotent). Secrets only by reference."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="YAML list of endpoints (see docs/models.md)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise CommandError(f"{path} is not valid YAML: {exc}") from exc
        try:
            entries = parse_entries(data)
        except EndpointsFileInvalid as exc:
            raise CommandError(f"{path}: {exc}. Nothing was changed.") from exc
        created, updated, unchanged = endpoints_load(entries=entries)
        self.stdout.write(
            f"{len(entries)} endpoints: {len(created)} created, {len(updated)} updated, {len(unchanged)} unchanged."
        )
