"""Signed checkpoints: statements (agency, sequence, head hash, time) that pin the chain outside the database."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit import signing
from audit.canonical import canonical_json, format_time
from audit.models import AuditCheckpoint, AuditEvent
from audit.verification import CheckpointRef, VerifyResult, chain_verify
from tenants.models import Agency
from tenants.scope import agency_scope

logger = logging.getLogger(__name__)

STATEMENT_TYPE = "tramontane.audit.checkpoint"
EXPORT_FORMAT = "tramontane.audit.checkpoints/v1"


class CheckpointFileError(ValueError):
    """A checkpoint file is not a tramontane checkpoint export, or holds a checkpoint whose signature fails."""


class ChainBroken(RuntimeError):
    """The chain failed verification: the platform refuses to sign (and so launder) a broken chain."""

    def __init__(self, result: VerifyResult) -> None:
        self.result = result
        problem = result.problem
        super().__init__(f"{problem.kind} at #{problem.sequence}: {problem.message}" if problem else "broken")


def checkpoint_create(*, agency: Agency) -> AuditCheckpoint | None:
    """Sign the current head if it moved since the last checkpoint; verify the new stretch first."""
    with transaction.atomic(), agency_scope(agency):
        last_event = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
        if last_event is None:
            return None
        previous = AuditCheckpoint.objects.order_by("-sequence", "-id").first()
        if previous is not None and previous.sequence >= last_event["sequence"]:
            return None
        after = CheckpointRef(previous.sequence, previous.head_hash) if previous is not None else None
        result = chain_verify(agency=agency, after=after, check_head=False)
        if not result.ok:
            raise ChainBroken(result)
        sequence, head_hash = int(last_event["sequence"]), str(last_event["hash"])
        return _checkpoint_write(agency=agency, sequence=sequence, head_hash=head_hash)


def _checkpoint_write(*, agency: Agency, sequence: int, head_hash: str) -> AuditCheckpoint:
    now = timezone.now()
    statement = {
        "v": 1,
        "type": STATEMENT_TYPE,
        "agency": {"id": agency.pk, "slug": agency.slug},
        "sequence": sequence,
        "head_hash": head_hash,
        "created_at": format_time(now),
        "key_id": signing.key_id(),
    }
    message = canonical_json(statement)
    checkpoint = AuditCheckpoint(
        agency=agency,
        sequence=sequence,
        head_hash=head_hash,
        created_at=now,
        key_id=signing.key_id(),
        statement=message.decode("utf-8"),
        signature=signing.sign(message),
    )
    checkpoint.save()
    return checkpoint


def checkpoint_entry(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {"statement": json.loads(checkpoint.statement), "signature": checkpoint.signature}


def checkpoints_export(*, agency: Agency) -> dict[str, Any]:
    """The JSON document to keep outside the platform (and to pass to `audit_verify --checkpoint`)."""
    with agency_scope(agency):
        entries = [checkpoint_entry(cp) for cp in AuditCheckpoint.objects.order_by("sequence", "id")]
    return {
        "format": EXPORT_FORMAT,
        "public_key": signing.public_key_b64(),
        "key_id": signing.key_id(),
        "checkpoints": entries,
    }


def checkpoints_from_export(document: Any, *, agency: Agency) -> list[CheckpointRef]:
    """The agency's checkpoints from an export, each signature checked against the platform's public key."""
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise CheckpointFileError(f"Not a checkpoint export: expected format {EXPORT_FORMAT!r}.")
    entries = document.get("checkpoints")
    if not isinstance(entries, list):
        raise CheckpointFileError("The checkpoint export has no 'checkpoints' list.")
    refs: list[CheckpointRef] = []
    for index, entry in enumerate(entries):
        ref = _entry_ref(entry, index=index)
        statement = entry["statement"]
        if statement.get("agency", {}).get("id") == agency.pk:
            refs.append(ref)
    return refs


def _entry_ref(entry: Any, *, index: int) -> CheckpointRef:
    try:
        statement = entry["statement"]
        signature = str(entry["signature"])
        sequence, head_hash = int(statement["sequence"]), str(statement["head_hash"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointFileError(f"Checkpoint {index} lacks statement.sequence, head_hash or signature.") from exc
    if statement.get("type") != STATEMENT_TYPE:
        raise CheckpointFileError(f"Checkpoint {index} is not a {STATEMENT_TYPE} statement.")
    if not signing.verify(canonical_json(statement), signature):
        raise CheckpointFileError(
            f"Checkpoint {index} (#{sequence}): the signature does not verify with this platform's public key "
            f"{signing.key_id()}; the file was altered or signed by another key."
        )
    return CheckpointRef(sequence, head_hash)


def stored_checkpoints(*, agency: Agency) -> tuple[list[CheckpointRef], list[str]]:
    """Checkpoints kept in the database whose signature verifies, plus notes on those that cannot be used."""
    refs: list[CheckpointRef] = []
    notes: list[str] = []
    current = signing.key_id()
    with agency_scope(agency):
        for checkpoint in AuditCheckpoint.objects.order_by("sequence", "id"):
            if checkpoint.key_id != current:
                notes.append(f"Checkpoint #{checkpoint.sequence} was signed by key {checkpoint.key_id}; skipped.")
                continue
            if not signing.verify(checkpoint.statement.encode("utf-8"), checkpoint.signature):
                notes.append(f"Checkpoint #{checkpoint.sequence} has an invalid signature: it was tampered with.")
                refs.append(CheckpointRef(checkpoint.sequence, "invalid-signature"))
                continue
            statement = json.loads(checkpoint.statement)
            refs.append(CheckpointRef(int(statement["sequence"]), str(statement["head_hash"])))
    return refs, notes


def agency_verify(*, agency: Agency, export: Any | None = None) -> VerifyResult:
    """Full verification against the stored checkpoints and, when given, an exported checkpoint file."""
    refs, notes = stored_checkpoints(agency=agency)
    if export is not None:
        refs.extend(checkpoints_from_export(export, agency=agency))
    result = chain_verify(agency=agency, checkpoints=refs)
    result.notes.extend(notes)
    return result
