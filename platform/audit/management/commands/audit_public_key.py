"""Print the audit public key, so third parties can verify checkpoints and receipts."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from audit import signing


class Command(BaseCommand):
    help = "Print the Ed25519 public key that verifies audit checkpoints and processing receipts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--pem", action="store_true", help="PEM (SubjectPublicKeyInfo) instead of base64.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["pem"]:
            self.stdout.write(signing.public_key_pem().rstrip("\n"))
        else:
            self.stdout.write(signing.public_key_b64())
        self.stderr.write(f"key id {signing.key_id()}")
