"""Reads: current policy, endpoints as router inputs, health summaries."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet

from routing.models import Endpoint, EndpointHealth, PolicyVersion
from routing.policy import Policy, parse_policy
from routing.router import EndpointSpec
from tenants.models import Agency
from tenants.scope import agency_scope


def policy_current(*, agency: Agency) -> PolicyVersion:
    """The agency's current policy version. An agency without one gets the default version 1 (see services)."""
    with agency_scope(agency):
        current = PolicyVersion.objects.order_by("-version").first()
    if current is not None:
        return cast(PolicyVersion, current)
    from routing.services import policy_default_ensure

    return policy_default_ensure(agency=agency)


def policy_versions(*, agency: Agency) -> QuerySet[PolicyVersion]:
    with agency_scope(agency):
        return PolicyVersion.objects.order_by("-version")


def policy_parsed(version: PolicyVersion) -> Policy:
    return parse_policy(
        version=version.version, default_classification=version.default_classification, rules=version.rules
    )


def endpoint_spec(endpoint: Endpoint) -> EndpointSpec:
    return EndpointSpec(
        name=endpoint.name,
        kind=endpoint.kind,
        hosting=endpoint.hosting,
        jurisdiction=endpoint.jurisdiction,
        region=endpoint.region,
        deployment_type=endpoint.deployment_type,
        model=endpoint.model,
        max_classification=endpoint.max_classification,
        capabilities=frozenset(endpoint.capabilities or ()),
        languages=frozenset(endpoint.languages or ()),
        context_window=endpoint.context_window,
        max_output_tokens=endpoint.max_output_tokens,
        price_input_per_1k=float(endpoint.price_input_per_1k),
        price_output_per_1k=float(endpoint.price_output_per_1k),
        enabled=endpoint.enabled,
    )


def endpoints_all() -> QuerySet[Endpoint]:
    return Endpoint.objects.select_related("health").order_by("name")


def endpoint_by_name(*, name: str) -> Endpoint:
    return Endpoint.objects.get(name=name)


def endpoints_health_summary() -> dict[str, Any]:
    """For /readyz details: per-endpoint status plus counts. Names only, no URLs or secrets."""
    endpoints: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for endpoint in Endpoint.objects.filter(enabled=True).select_related("health").order_by("name"):
        health: EndpointHealth | None = getattr(endpoint, "health", None)
        status = health.status if health is not None else "unknown"
        counts[status] = counts.get(status, 0) + 1
        endpoints[endpoint.name] = {
            "kind": endpoint.kind,
            "status": status,
            "latency_ms": health.latency_ms if health is not None else None,
            "checked_at": health.checked_at.isoformat() if health is not None and health.checked_at else None,
            "last_error": health.last_error if health is not None else "",
        }
    llm_ok = any(
        item["status"] in ("ok", "degraded") for item in endpoints.values() if item["kind"] != "builtin_extractive"
    )
    usable = any(item["status"] not in ("down", "misconfigured") for item in endpoints.values())
    # ok: some endpoint can take work (the built-in summariser counts); llm_available: a real model can.
    return {"ok": usable, "llm_available": llm_ok, "counts": counts, "endpoints": endpoints}


def endpoints_for_policy() -> list[dict[str, Any]]:
    """What an agency admin may list in a policy: names and residency attributes (no URLs, no secret refs)."""
    return [
        {
            "name": endpoint.name,
            "kind": endpoint.kind,
            "hosting": endpoint.hosting,
            "jurisdiction": endpoint.jurisdiction,
            "region": endpoint.region,
            "deployment_type": endpoint.deployment_type,
            "max_classification": endpoint.max_classification,
            "capabilities": list(endpoint.capabilities or []),
            "languages": list(endpoint.languages or []),
            "context_window": endpoint.context_window,
        }
        for endpoint in Endpoint.objects.filter(enabled=True).exclude(kind="builtin_extractive").order_by("name")
    ]
