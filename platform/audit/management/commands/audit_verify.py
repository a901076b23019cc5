"""Verify audit chains: exit 0 only when every checked chain is intact."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import CheckpointFileError, agency_verify
from tenants.models import Agency


class Command(BaseCommand):
    help = "Verify the audit chain of one agency (or all), against stored and optionally exported checkpoints."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--agency", help="Agency slug (default: every agency).")
        parser.add_argument("--checkpoint", help="A checkpoint export (JSON) kept outside the platform.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object per agency.")

    def handle(self, *args: Any, **options: Any) -> None:
        export = _load_export(options["checkpoint"])
        agencies = Agency.objects.order_by("slug")
        if options["agency"]:
            agencies = agencies.filter(slug=options["agency"])
            if not agencies.exists():
                raise CommandError(f"No agency with slug {options['agency']!r}. List them in the Django admin.")
        broken = 0
        for agency in agencies:
            try:
                result = agency_verify(agency=agency, export=export)
            except CheckpointFileError as exc:
                raise CommandError(str(exc)) from exc
            broken += 0 if result.ok else 1
            if options["json"]:
                self.stdout.write(json.dumps(result.as_dict(), sort_keys=True))
            elif result.problem is None:
                self.stdout.write(
                    f"{agency.slug}: OK ({result.events_checked} events, #{result.first_sequence}"
                    f"..#{result.last_sequence}, {result.checkpoints_checked} checkpoints)"
                )
            else:
                problem = result.problem
                self.stdout.write(f"{agency.slug}: BROKEN {problem.kind} at #{problem.sequence}: {problem.message}")
            for note in result.notes:
                self.stdout.write(f"{agency.slug}: note: {note}")
        if broken:
            raise CommandError(f"{broken} audit chain(s) broken.", returncode=1)


def _load_export(path: str | None) -> Any:
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read checkpoint file {path}: {exc}") from exc
