from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.classification import LADDER
from routing.detect import endpoint_detect_local
from routing.services import endpoint_builtin_ensure


class Command(BaseCommand):
    help = (
        "Register a local OpenAI-compatible server (Ollama 11434, llama.cpp 8080, vLLM 8000) as an on-premises "
        "endpoint, and the built-in extractive summariser. Safe to run repeatedly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ports", default="11434,8080,8000", help="Comma-separated ports on 127.0.0.1")
        parser.add_argument("--jurisdiction", default=None, help="Where this host runs (default FR)")
        parser.add_argument("--max-classification", default="sensitive", choices=LADDER)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ports = tuple(int(p) for p in str(options["ports"]).split(",") if p.strip())
        except ValueError as exc:
            raise CommandError(
                f"--ports {options['ports']!r}: use comma-separated port numbers, e.g. 11434,8080."
            ) from exc
        endpoint_builtin_ensure()
        found = endpoint_detect_local(
            ports=ports, jurisdiction=options["jurisdiction"], max_classification=options["max_classification"]
        )
        for endpoint in found:
            self.stdout.write(
                f"Registered {endpoint.name}: {endpoint.base_url} model={endpoint.model} "
                f"context={endpoint.context_window}"
            )
        if not found:
            self.stdout.write("No local model server found; the built-in extractive summariser stays available.")
