"""Processing receipts: a signed JSON statement of where and how one job was processed (docs/audit.md, "Receipts").

The builder and the signature check work on plain dicts, so a third party (or a test) needs no database; the
chain check (`receipt_check_chain`) needs the platform.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit import signing
from audit.canonical import canonical_json, format_time
from audit.models import AuditEvent
from audit.verification import row_hash
from tenants.models import Agency
from tenants.scope import agency_scope

RECEIPT_FORMAT = "tramontane.receipt/v1"
ENDPOINT_FIELDS = ("name", "kind", "hosting", "jurisdiction", "region", "deployment_type", "model")
TOP_LEVEL_KEYS = frozenset(
    {"format", "issued_at", "agency", "job", "input", "policy", "endpoint", "endpoints", "usage", "output", "audit"}
)


class ReceiptError(ValueError):
    """A receipt cannot be issued (job not finished) or is not a tramontane receipt."""


def receipt_payload(
    *,
    agency: dict[str, Any],
    job: dict[str, Any],
    document: dict[str, Any],
    endpoints: list[dict[str, Any]],
    events: list[dict[str, Any]],
    issued_at: datetime,
) -> dict[str, Any]:
    """The receipt body from plain facts. `events` are the job's audit events: sequence, action, hash."""
    ordered = sorted(events, key=lambda event: int(event["sequence"]))
    served = [{name: _str_or_none(endpoint.get(name)) for name in ENDPOINT_FIELDS} for endpoint in endpoints]
    return {
        "format": RECEIPT_FORMAT,
        "issued_at": format_time(issued_at),
        "agency": {"id": int(agency["id"]), "slug": str(agency["slug"])},
        "job": {
            "id": int(job["id"]),
            "kind": str(job["kind"]),
            "status": str(job["status"]),
            "created_at": _time(job.get("created_at")),
            "started_at": _time(job.get("started_at")),
            "finished_at": _time(job.get("finished_at")),
        },
        "input": {
            "sha256": str(document["sha256"]),
            "classification": str(document["classification"]),
            "size": int(document["size"]),
            "mime_type": str(document["mime_type"]),
            "language": str(document.get("language") or ""),
        },
        # The rule the policy version applied to this classification: lets a verifier check the endpoint against it.
        "policy": {"version": _int_or_none(job.get("policy_version")), "rule": _plain(job.get("policy_rule"))},
        # `endpoint`: the one that served the job (the first, when failover spread it over several: `endpoints`).
        "endpoint": served[0] if served else dict.fromkeys(ENDPOINT_FIELDS),
        "endpoints": served,
        "usage": {
            "input_tokens": int(job.get("input_tokens") or 0),
            "output_tokens": int(job.get("output_tokens") or 0),
            "cost": str(Decimal(str(job.get("cost") or 0))),
        },
        "output": {"sha256": str(job.get("result_sha256") or "") or None},
        "audit": {
            "first_sequence": int(ordered[0]["sequence"]) if ordered else None,
            "last_sequence": int(ordered[-1]["sequence"]) if ordered else None,
            "events": [
                {"sequence": int(e["sequence"]), "action": str(e["action"]), "hash": str(e["hash"])} for e in ordered
            ],
        },
    }


def receipt_sign(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "receipt": payload,
        "signature": {"alg": "Ed25519", "key_id": signing.key_id(), "value": signing.sign(canonical_json(payload))},
    }


def receipt_signature_errors(envelope: Any, *, key: Ed25519PublicKey | None = None) -> list[str]:
    """Empty when the receipt is well formed and its signature verifies with `key` (default: the platform's)."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("receipt"), dict):
        return ["Not a receipt: expected an object with 'receipt' and 'signature'."]
    payload = envelope["receipt"]
    signature = envelope.get("signature")
    if payload.get("format") != RECEIPT_FORMAT:
        return [f"Unknown receipt format {payload.get('format')!r}; expected {RECEIPT_FORMAT!r}."]
    if set(payload) != TOP_LEVEL_KEYS:
        return ["The receipt's fields differ from the documented format."]
    if not isinstance(signature, dict) or signature.get("alg") != "Ed25519" or "value" not in signature:
        return ["The receipt has no Ed25519 signature."]
    if not signing.verify(canonical_json(payload), str(signature["value"]), key):
        return ["The signature does not match: the receipt was altered, or signed by another key."]
    return []


def receipt_chain_errors(envelope: dict[str, Any]) -> list[str]:
    """On the platform: the chain holds the receipt's events, unaltered, at the stated sequence numbers."""
    payload = envelope["receipt"]
    agency = Agency.objects.filter(pk=payload["agency"]["id"], slug=payload["agency"]["slug"]).first()
    if agency is None:
        return [f"No agency {payload['agency']['slug']!r} (id {payload['agency']['id']}) on this platform."]
    errors: list[str] = []
    job_id = str(payload["job"]["id"])
    with agency_scope(agency):
        for stated in payload["audit"]["events"]:
            errors.extend(_event_errors(agency, stated, job_id))
    return errors


def _event_errors(agency: Agency, stated: dict[str, Any], job_id: str) -> list[str]:
    sequence = int(stated["sequence"])
    row = AuditEvent.objects.filter(sequence=sequence).values().first()
    if row is None:
        return [f"Audit event #{sequence} is missing from the chain."]
    errors = []
    if row["hash"] != stated["hash"] or row["action"] != stated["action"]:
        errors.append(f"Audit event #{sequence} differs from the receipt.")
    if row_hash(agency.pk, row) != row["hash"]:
        errors.append(f"Audit event #{sequence} no longer matches its own hash: it was edited.")
    if (row["target_type"], row["target_id"]) != ("job", job_id):
        errors.append(f"Audit event #{sequence} is not about job {job_id}.")
    following = AuditEvent.objects.filter(sequence=sequence + 1).values_list("prev_hash", flat=True).first()
    if following is not None and following != row["hash"]:
        errors.append(f"Audit event #{sequence + 1} does not link to #{sequence}: the chain was altered.")
    return errors


def job_receipt(*, job: Any) -> dict[str, Any]:
    """Build and sign the receipt of a finished job (a jobs.models.Job, read inside its agency's scope)."""
    from django.utils import timezone

    if getattr(job, "finished_at", None) is None:
        raise ReceiptError(
            "The job has not finished yet: a receipt is issued once it succeeded, failed or was cancelled."
        )
    document = job.document
    with agency_scope(job.agency):
        events = list(
            AuditEvent.objects.filter(target_type="job", target_id=str(job.pk))
            .order_by("sequence")
            .values("sequence", "action", "hash")
        )
    payload = receipt_payload(
        agency={"id": job.agency.pk, "slug": job.agency.slug},
        job={
            "id": job.pk,
            "kind": job.kind,
            "status": job.status,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
            "policy_version": job.policy_version,
            "input_tokens": job.input_tokens,
            "output_tokens": job.output_tokens,
            "cost": job.cost,
            "result_sha256": job.result_sha256,
            "policy_rule": _policy_rule(job.agency, job.policy_version, document.classification),
        },
        document={
            "sha256": document.sha256,
            "classification": document.classification,
            "size": document.size,
            "mime_type": document.mime_type,
            "language": document.language,
        },
        endpoints=endpoint_snapshots(job.routing_decision, job.endpoint_name),
        events=events,
        issued_at=timezone.now(),
    )
    return receipt_sign(payload)


def endpoint_snapshots(decision: Any, endpoint_names: str) -> list[dict[str, Any]]:
    """The endpoints that served the job, as routed (snapshots in the routing decision's "chosen"), else as the
    registry describes them now (`endpoint_name` lists them, comma-separated)."""
    snapshots: list[dict[str, Any]] = []
    if isinstance(decision, dict):
        for key in ("chosen", "endpoint"):
            value = decision.get(key)
            snapshots.extend(item for item in (value if isinstance(value, list) else [value]) if isinstance(item, dict))
            if snapshots:
                break
    if snapshots:
        return [{name: snapshot.get(name) for name in ENDPOINT_FIELDS} for snapshot in snapshots]
    names = [name.strip() for name in endpoint_names.split(",") if name.strip()]
    if not names:
        return []
    from routing.models import Endpoint

    registered = {row["name"]: row for row in Endpoint.objects.filter(name__in=names).values(*ENDPOINT_FIELDS)}
    return [dict(registered.get(name, {"name": name})) for name in names]


def _policy_rule(agency: Agency, version: int | None, classification: str) -> Any:
    if version is None:
        return None
    from routing.models import PolicyVersion

    with agency_scope(agency):
        policy = PolicyVersion.objects.filter(version=version).first()
    rules = policy.rules if policy is not None else None
    return rules.get(classification) if isinstance(rules, dict) else None


def _plain(value: Any) -> Any:
    """JSON whose canonical form survives any parser: numbers other than integers become strings."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float | Decimal):
        return str(value)
    return value


def _time(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
