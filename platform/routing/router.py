"""The router: one pure function from (task, policy, endpoints, live health) to a decision.

No database, no clock, no network: everything it knows arrives as frozen values, so it can be property-tested.
An endpoint becomes a candidate only if it passes every filter; when none does, the decision is a refusal (or the
built-in extractive summariser where the policy allows degraded mode). There is no fallback to "anything healthy".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from routing.classification import LADDER, rank
from routing.gateway import CandidateInfo, RoutingDecision, TaskSpec
from routing.geo import jurisdiction_chain, processing_chain, within
from routing.policy import Policy, Rule

BUILTIN_KIND = "builtin_extractive"
_HEALTH_ORDER = {"ok": 0, "unknown": 1, "degraded": 2}


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    kind: str
    hosting: str
    jurisdiction: str
    region: str
    deployment_type: str
    model: str
    max_classification: str
    capabilities: frozenset[str]
    languages: frozenset[str]  # empty: any language
    context_window: int
    max_output_tokens: int
    price_input_per_1k: float
    price_output_per_1k: float
    enabled: bool = True

    def info(self) -> CandidateInfo:
        return CandidateInfo(**{item.name: getattr(self, item.name) for item in fields(CandidateInfo)})


@dataclass(frozen=True)
class Live:
    """Live state of an endpoint: probe status plus the shared circuit breaker."""

    status: str = "unknown"  # unknown | ok | degraded | down | misconfigured
    breaker_open: bool = False
    misconfigured: bool = False


def policy_exclusion(endpoint: EndpointSpec, rule: Rule, classification: str) -> str:
    """Why the policy (and the operator's ceiling) forbids this endpoint for this classification; "" if allowed."""
    if rank(endpoint.max_classification) < rank(classification):
        return f"accepts data up to '{endpoint.max_classification}' only (operator ceiling)"
    if rule.endpoints and endpoint.name not in rule.endpoints:
        return "not in the policy's endpoint list"
    if endpoint.hosting not in rule.hosting:
        return f"hosting '{endpoint.hosting}' not allowed (policy allows: {_listing(rule.hosting)})"
    if not within(jurisdiction_chain(endpoint.jurisdiction), rule.jurisdictions):
        return f"operator jurisdiction '{endpoint.jurisdiction}' not allowed (policy: {_listing(rule.jurisdictions)})"
    chain = processing_chain(
        region=endpoint.region, deployment_type=endpoint.deployment_type, jurisdiction=endpoint.jurisdiction
    )
    if not within(chain, rule.processing):
        where = endpoint.deployment_type or endpoint.region or endpoint.jurisdiction
        return f"processing location '{where}' not allowed (policy: {_listing(rule.processing)})"
    return ""


def task_exclusion(endpoint: EndpointSpec, task: TaskSpec) -> str:
    if not endpoint.enabled:
        return "disabled by the operator"
    if task.kind not in endpoint.capabilities:
        return f"cannot {task.kind}"
    missing = [code for code in task.languages if endpoint.languages and code not in endpoint.languages]
    if missing:
        return f"does not support language(s) {', '.join(missing)}"
    if task.output_tokens > endpoint.max_output_tokens:
        return f"max output {endpoint.max_output_tokens} tokens < {task.output_tokens} requested"
    if task.input_tokens + task.output_tokens > endpoint.context_window:
        return (
            f"context window {endpoint.context_window} tokens < {task.input_tokens + task.output_tokens} needed "
            "(use smaller chunks)"
        )
    return ""


def live_exclusion(live: Live) -> str:
    if live.misconfigured or live.status == "misconfigured":
        return "misconfigured (authentication refused); the operator must fix it"
    if live.breaker_open:
        return "temporarily unavailable (circuit breaker open)"
    if live.status == "down":
        return "down (failed its last health check)"
    return ""


def decide(
    *,
    task: TaskSpec,
    policy: Policy,
    endpoints: Sequence[EndpointSpec],
    live: Mapping[str, Live],
) -> RoutingDecision:
    record: dict[str, Any] = {
        "policy_version": policy.version,
        "task": {
            "kind": task.kind,
            "languages": list(task.languages),
            "input_tokens": task.input_tokens,
            "output_tokens": task.output_tokens,
            "classification": task.classification,
        },
        "considered": sorted(endpoint.name for endpoint in endpoints),
        "excluded": {},
        "chosen": [],
        "degraded": False,
    }
    if task.classification not in LADDER:
        allowed = ", ".join(LADDER)
        return _refuse(policy, record, f"Unknown classification '{task.classification}': use one of {allowed}.")
    rule = policy.rules.get(task.classification)
    if rule is None:
        return _refuse(
            policy,
            record,
            f"Your agency's policy (version {policy.version}) has no rule for '{task.classification}' data, "
            "so it may not be sent to any model. An agency admin can add a rule on the console's policy page "
            "or with PUT /api/v1/policy.",
        )
    excluded: dict[str, str] = record["excluded"]
    allowed_by_policy: list[EndpointSpec] = []
    available: list[EndpointSpec] = []
    builtins: list[EndpointSpec] = []
    for endpoint in endpoints:
        if endpoint.kind == BUILTIN_KIND:
            builtins.append(endpoint)
            continue
        reason = policy_exclusion(endpoint, rule, task.classification) or task_exclusion(endpoint, task)
        if reason:
            excluded[endpoint.name] = reason
            continue
        allowed_by_policy.append(endpoint)
        reason = live_exclusion(live.get(endpoint.name, Live()))
        if reason:
            excluded[endpoint.name] = reason
            continue
        available.append(endpoint)
    if available:
        ordered = sorted(available, key=lambda ep: _order_key(ep, rule, task, live))
        record["chosen"] = [endpoint.name for endpoint in ordered]
        record["candidates"] = [asdict(endpoint.info()) for endpoint in ordered]
        record["endpoint"] = record["candidates"][0]
        return RoutingDecision(True, tuple(ep.info() for ep in ordered), "", False, policy.version, record)
    return _degraded_or_refuse(task, policy, rule, builtins, allowed_by_policy, record)


def _degraded_or_refuse(
    task: TaskSpec,
    policy: Policy,
    rule: Rule,
    builtins: list[EndpointSpec],
    allowed_by_policy: list[EndpointSpec],
    record: dict[str, Any],
) -> RoutingDecision:
    excluded: dict[str, str] = record["excluded"]
    usable_builtin = [ep for ep in builtins if ep.enabled and rank(ep.max_classification) >= rank(task.classification)]
    for endpoint in builtins:
        if endpoint not in usable_builtin:
            excluded[endpoint.name] = "built-in extractive summariser disabled or below this classification"
        elif not rule.degraded_mode:
            excluded[endpoint.name] = "degraded mode not allowed by the policy for this classification"
        elif task.kind != "summarise":
            excluded[endpoint.name] = "the extractive summariser only summarises"
    if rule.degraded_mode and task.kind == "summarise" and usable_builtin:
        chosen = usable_builtin[0]
        record["chosen"] = [chosen.name]
        record["candidates"] = [asdict(chosen.info())]
        record["endpoint"] = record["candidates"][0]
        record["degraded"] = True
        return RoutingDecision(True, (chosen.info(),), "", True, policy.version, record)
    level = task.classification
    if allowed_by_policy:
        reason = (
            f"Every model endpoint your policy allows for '{level}' data is unavailable right now "
            f"({_summary(excluded, allowed_by_policy)}). Try again later"
        )
        reason += (
            "; an agency admin may allow degraded mode (extractive summary) for this classification."
            if not rule.degraded_mode and task.kind == "summarise"
            else "."
        )
    else:
        reason = (
            f"No model endpoint satisfies your policy (version {policy.version}) for '{level}' data and this "
            f"{task.kind} task. Ask an agency admin to review the policy, or the operator to register a suitable "
            "endpoint."
        )
        if excluded:
            reason += " Excluded: " + "; ".join(f"{name}: {why}" for name, why in sorted(excluded.items())) + "."
    return _refuse(policy, record, reason)


def _order_key(endpoint: EndpointSpec, rule: Rule, task: TaskSpec, live: Mapping[str, Live]) -> tuple[Any, ...]:
    preference = rule.endpoints.index(endpoint.name) if endpoint.name in rule.endpoints else len(rule.endpoints)
    health = _HEALTH_ORDER.get(live.get(endpoint.name, Live()).status, 3)
    cost = (task.input_tokens * endpoint.price_input_per_1k + task.output_tokens * endpoint.price_output_per_1k) / 1000
    return (preference, health, cost, endpoint.name)


def _refuse(policy: Policy, record: dict[str, Any], reason: str) -> RoutingDecision:
    record["chosen"] = []
    record["candidates"] = []
    record["endpoint"] = None
    record["refusal_reason"] = reason
    return RoutingDecision(False, (), reason, False, policy.version, record)


def _summary(excluded: dict[str, str], endpoints: list[EndpointSpec]) -> str:
    return "; ".join(f"{ep.name}: {excluded.get(ep.name, 'unavailable')}" for ep in endpoints)


def _listing(values: frozenset[str]) -> str:
    return ", ".join(sorted(values)) or "nothing"
