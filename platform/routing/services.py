"""Writes of the routing package: policies, endpoints, health; and the gateway entry points used by jobs."""

from __future__ import annotations

import hashlib
import json
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import Max

import audit
from audit.actions import POLICY_CHANGED
from audit.actors import Actor
from routing.classification import rank
from routing.client import completion_create
from routing.gateway import RoutingDecision, TaskSpec
from routing.models import BUILTIN_EXTRACTIVE_NAME, Endpoint, EndpointHealth, Kind, PolicyVersion
from routing.policy import PolicyInvalid, default_rules, parse_policy
from routing.resilience import limits
from routing.router import Live, decide
from routing.selectors import endpoint_spec, policy_current, policy_parsed
from tenants.models import Agency
from tenants.scope import agency_scope

__all__ = [
    "completion_create",
    "endpoint_builtin_ensure",
    "job_route",
    "policy_default_ensure",
    "policy_update",
]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def policy_default_ensure(*, agency: Agency) -> PolicyVersion:
    """Create version 1 (the default policy) for an agency that has none; return the current version."""
    with transaction.atomic(), agency_scope(agency):
        current = PolicyVersion.objects.select_for_update().order_by("-version").first()
        if current is not None:
            return cast(PolicyVersion, current)
        rules = default_rules(country_code=agency.country_code)
        try:
            with transaction.atomic():
                version = PolicyVersion.objects.create(
                    agency=agency, version=1, default_classification="internal", rules=rules, created_by="system"
                )
        except IntegrityError:
            # Another worker created it between our read and write: use theirs.
            return cast(PolicyVersion, PolicyVersion.objects.order_by("-version").first())
        audit.record(
            agency=agency,
            actor=Actor.system("routing"),
            action=POLICY_CHANGED,
            target=version,
            details={"version": 1, "default": True, "rules_sha256": _digest(rules)},
        )
        return cast(PolicyVersion, version)


def policy_update(*, agency: Agency, actor: Actor, default_classification: str, rules: Any) -> PolicyVersion:
    """Validate and store a new policy version. It may only narrow what operators allow."""
    parsed = parse_policy(version=0, default_classification=default_classification, rules=rules)
    problems: dict[str, list[str]] = {}
    known = {endpoint.name: endpoint for endpoint in Endpoint.objects.all()}
    for level, rule in parsed.rules.items():
        for name in rule.endpoints:
            problem = _endpoint_problem(known.get(name), name, level)
            if problem:
                problems.setdefault(f"rules.{level}.endpoints", []).append(problem)
    errors = {path: "; ".join(items) for path, items in problems.items()}
    if errors:
        raise PolicyInvalid(errors)
    policy_default_ensure(agency=agency)  # version 1 is always the default: history starts from it
    with transaction.atomic(), agency_scope(agency):
        # Lock the agency's versions so two concurrent edits get consecutive numbers.
        list(PolicyVersion.objects.select_for_update().values_list("pk", flat=True))
        top = PolicyVersion.objects.aggregate(top=Max("version"))["top"] or 0
        version = PolicyVersion.objects.create(
            agency=agency,
            version=top + 1,
            default_classification=default_classification,
            rules=rules,
            created_by=actor.label,
        )
        audit.record(
            agency=agency,
            actor=actor,
            action=POLICY_CHANGED,
            target=version,
            details={"version": version.version, "previous": top, "rules_sha256": _digest(rules)},
        )
    return cast(PolicyVersion, version)


def _endpoint_problem(endpoint: Endpoint | None, name: str, level: str) -> str:
    """Why a policy may not list this endpoint for this level ("" if it may): a policy only narrows."""
    if endpoint is None:
        return f"unknown endpoint {name!r}; see GET /api/v1/policy for names"
    if endpoint.kind == Kind.BUILTIN_EXTRACTIVE:
        return f"{name!r} is the built-in summariser: use degraded_mode"
    if rank(endpoint.max_classification) < rank(level):
        return (
            f"endpoint {name!r} accepts data up to '{endpoint.max_classification}' only; "
            f"the operator does not allow it for '{level}'"
        )
    return ""


def endpoint_builtin_ensure() -> Endpoint:
    """The always-available built-in extractive summariser: on premises, never leaves the platform."""
    endpoint, created = Endpoint.objects.get_or_create(
        name=BUILTIN_EXTRACTIVE_NAME,
        defaults={
            "kind": Kind.BUILTIN_EXTRACTIVE,
            "hosting": "on_premises",
            "jurisdiction": "EU",
            "auth": "none",
            "max_classification": "restricted",
            "capabilities": ["summarise"],
            "languages": [],
            "context_window": 10_000_000,
            "max_output_tokens": 1_000_000,
            "max_concurrency": 1000,
        },
    )
    if created:
        EndpointHealth.objects.get_or_create(endpoint=endpoint, defaults={"status": "ok"})
    return endpoint


def job_route(*, agency: Agency, task: TaskSpec) -> RoutingDecision:
    """Route a job: current policy, every registered endpoint, live health and breaker state → decide().

    No audit here: the jobs service records job.routed / job.refused with the decision.
    """
    policy_version = policy_current(agency=agency)
    policy = policy_parsed(policy_version)
    endpoint_builtin_ensure()
    rows = list(Endpoint.objects.select_related("health").order_by("name"))
    open_names = limits().open_names([row.name for row in rows if row.kind != Kind.BUILTIN_EXTRACTIVE])
    live: dict[str, Live] = {}
    for row in rows:
        health: EndpointHealth | None = getattr(row, "health", None)
        live[row.name] = Live(
            status=health.status if health is not None else "unknown",
            breaker_open=row.name in open_names,
            misconfigured=bool(health and health.misconfigured),
        )
    return decide(task=task, policy=policy, endpoints=[endpoint_spec(row) for row in rows], live=live)


def endpoints_load(*, entries: list[dict[str, Any]]) -> tuple[list[str], list[str], list[str]]:
    """Create or update endpoints from validated entries (routing.endpoints_file.parse_entries), atomically.

    Keys absent from an entry are reset to their defaults, so the file is the whole truth for its endpoints.
    Endpoints not in the file are left alone (operators may also manage some in Django admin).
    """
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    defaults = {
        field.name: field.get_default()
        for field in Endpoint._meta.concrete_fields
        if field.name not in ("id", "name", "created_at", "updated_at")
    }
    with transaction.atomic():
        for entry in entries:
            values = {**defaults, **{k: v for k, v in entry.items() if k != "name"}}
            endpoint = Endpoint.objects.select_for_update().filter(name=entry["name"]).first()
            if endpoint is None:
                endpoint = Endpoint.objects.create(name=entry["name"], **values)
                EndpointHealth.objects.get_or_create(endpoint=endpoint)
                created.append(endpoint.name)
                continue
            changed = [key for key, value in values.items() if getattr(endpoint, key) != value]
            if not changed:
                unchanged.append(endpoint.name)
                continue
            for key in changed:
                setattr(endpoint, key, values[key])
            endpoint.save()
            updated.append(endpoint.name)
    return created, updated, unchanged
