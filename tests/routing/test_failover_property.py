"""Property: under random endpoint sets, policies and fault sequences, no request ever reaches an endpoint outside
the policy — including during failover and when everything allowed fails. Real HTTP against the fake server."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from routing.errors import ModelCallError
from routing.models import Endpoint, EndpointHealth, EndpointState, PolicyVersion
from routing.policy import Rule
from routing.services import completion_create, job_route
from tenants.scope import agency_scope
from tests.routing.strategies import AREAS, HOSTINGS, endpoints, inside_policy, policies, tasks

FAULTS = ["ok", "500", "429:0.01", "reset", "503_loading", "401", "overflow_vllm", "content_filter"]


def _rules_json(policy):
    return {
        level: {
            "hosting": sorted(rule.hosting),
            "jurisdictions": sorted(rule.jurisdictions),
            "processing": sorted(rule.processing),
            "endpoints": list(rule.endpoints),
            "degraded_mode": rule.degraded_mode,
        }
        for level, rule in policy.rules.items()
    }


def _bias(data, eps, policy, task):
    """Make allowed, healthy candidates common (pure random sets almost never route anywhere)."""
    if data.draw(st.booleans()):
        eps = [
            replace(
                ep,
                capabilities=ep.capabilities | {task.kind},
                languages=frozenset(),
                enabled=True,
                max_classification=data.draw(st.sampled_from(["sensitive", "restricted", ep.max_classification])),
            )
            for ep in eps
        ]
    if data.draw(st.booleans()):
        wide = Rule(
            hosting=frozenset({"on_premises", "sovereign_cloud", "public_cloud"})
            - frozenset(data.draw(st.lists(st.sampled_from(HOSTINGS), max_size=1))),
            jurisdictions=frozenset(data.draw(st.lists(st.sampled_from(AREAS), min_size=1, unique=True))) | {"GLOBAL"},
            processing=frozenset(data.draw(st.lists(st.sampled_from(AREAS), min_size=1, unique=True))),
            endpoints=tuple(
                data.draw(st.lists(st.sampled_from([ep.name for ep in eps] or ["x"]), unique=True, max_size=3))
            ),
            degraded_mode=data.draw(st.booleans()),
        )
        policy = replace(policy, rules={**policy.rules, task.classification: wide})
    return eps, policy


@pytest.mark.django_db
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), eps=endpoints(), policy=policies(), task=tasks())
def test_requests_never_leave_policy_during_failover(data, eps, policy, task, agency_a, fake_llm, fast_retries):
    fast_retries.REDIS_URL = ""  # breaker state in the (rolled-back) test database
    fast_retries.ROUTING_MAX_ATTEMPTS = 2
    fake_llm.reset()
    eps, policy = _bias(data, eps, policy, task)
    Endpoint.objects.all().delete()
    EndpointState.objects.all().delete()
    with agency_scope(agency_a):
        PolicyVersion.objects.all().delete()
        PolicyVersion.objects.create(
            agency=agency_a,
            version=policy.version,
            default_classification=policy.default_classification,
            rules=_rules_json(policy),
        )
    for ep in eps:
        row = Endpoint.objects.create(
            name=ep.name,
            kind=ep.kind,
            base_url=f"{fake_llm.url}/{ep.name}/v1",
            model="m",
            hosting=ep.hosting,
            jurisdiction=ep.jurisdiction,
            region=ep.region,
            deployment_type=ep.deployment_type,
            max_classification=ep.max_classification,
            capabilities=sorted(ep.capabilities),
            languages=sorted(ep.languages),
            context_window=ep.context_window,
            max_output_tokens=ep.max_output_tokens,
            enabled=ep.enabled,
        )
        EndpointHealth.objects.create(endpoint=row, status="ok")
        fake_llm.script(f"/{ep.name}/", *data.draw(st.lists(st.sampled_from(FAULTS), max_size=4)))
    small = replace(task, input_tokens=min(task.input_tokens, 100), output_tokens=min(task.output_tokens, 50))
    decision = job_route(agency=agency_a, task=small)
    if decision.allowed and not decision.degraded:
        try:
            completion_create(
                agency=agency_a,
                decision=decision,
                messages=[{"role": "user", "content": "x"}],
                max_tokens=small.output_tokens,
            )
        except ModelCallError:
            pass
    event(f"requests={min(len(fake_llm.requests), 3)} allowed={decision.allowed} degraded={decision.degraded}")
    by_name = {ep.name: ep for ep in eps}
    chosen = {c.name for c in decision.candidates}
    for request in fake_llm.requests:
        name = request.path.split("/")[1]
        assert name in chosen, (name, decision.record)
        assert inside_policy(by_name[name], policy, small.classification, small.kind), (name, policy)
