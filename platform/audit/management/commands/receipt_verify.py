"""Verify a processing receipt: its signature and, on the platform, that the audit chain holds its events."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit import signing
from audit.receipts import receipt_chain_errors, receipt_signature_errors


class Command(BaseCommand):
    help = "Verify a receipt's Ed25519 signature and that the audit chain contains the job's events."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="The receipt JSON file.")
        parser.add_argument("--public-key", help="Verify with this key (base64 or a PEM file) instead of ours.")
        parser.add_argument("--offline", action="store_true", help="Check the signature only, not the chain.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            envelope = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read receipt {options['file']}: {exc}") from exc
        key = _public_key(options["public_key"])
        errors = receipt_signature_errors(envelope, key=key)
        if not errors and not options["offline"]:
            errors = receipt_chain_errors(envelope)
        if errors:
            for error in errors:
                self.stdout.write(f"FAIL: {error}")
            raise CommandError("The receipt does not verify.", returncode=1)
        receipt = envelope["receipt"]
        audit = receipt["audit"]
        scope = "signature" if options["offline"] else "signature and audit chain"
        self.stdout.write(
            f"OK: {scope} verified for job {receipt['job']['id']} of {receipt['agency']['slug']} "
            f"(audit #{audit['first_sequence']}..#{audit['last_sequence']})."
        )


def _public_key(value: str | None) -> Any:
    if not value:
        return None
    path = Path(value)
    text = path.read_text(encoding="utf-8") if path.is_file() else value
    try:
        return signing.load_public_key(text)
    except signing.KeyFormatError as exc:
        raise CommandError(f"--public-key: {exc}") from exc
