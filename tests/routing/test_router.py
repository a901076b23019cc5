from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.classification import LADDER
from routing.gateway import TaskSpec
from routing.policy import Policy, Rule
from routing.router import EndpointSpec, Live, decide
from tests.routing.strategies import endpoints, inside_policy, lives, policies, tasks


def _ep(name: str, **overrides) -> EndpointSpec:
    values = dict(
        name=name,
        kind="openai_compatible",
        hosting="on_premises",
        jurisdiction="FR",
        region="",
        deployment_type="",
        model="mistral",
        max_classification="sensitive",
        capabilities=frozenset({"summarise", "translate", "chat"}),
        languages=frozenset(),
        context_window=32768,
        max_output_tokens=4096,
        price_input_per_1k=0.0,
        price_output_per_1k=0.0,
    )
    values.update(overrides)
    return EndpointSpec(**values)


BUILTIN = _ep(
    "builtin-extractive",
    kind="builtin_extractive",
    max_classification="restricted",
    capabilities=frozenset({"summarise"}),
    context_window=10_000_000,
    max_output_tokens=1_000_000,
)
ONPREM_FR = Rule(frozenset({"on_premises"}), frozenset({"FR"}), frozenset({"FR"}), (), False)


def _task(**overrides) -> TaskSpec:
    values = dict(kind="summarise", languages=("fr",), input_tokens=1000, output_tokens=500, classification="sensitive")
    values.update(overrides)
    return TaskSpec(**values)


def test_ministry_sensitive_goes_only_on_premises():
    policy = Policy(3, "internal", {"sensitive": ONPREM_FR})
    azure = _ep("azure", hosting="public_cloud", jurisdiction="US", region="francecentral", deployment_type="regional")
    decision = decide(task=_task(), policy=policy, endpoints=[azure, _ep("vllm")], live={})
    assert decision.allowed and [c.name for c in decision.candidates] == ["vllm"]
    assert decision.policy_version == 3
    assert "hosting 'public_cloud' not allowed" in decision.record["excluded"]["azure"]
    assert decision.record["endpoint"]["name"] == "vllm" and decision.record["endpoint"]["hosting"] == "on_premises"
    assert [c["name"] for c in decision.record["candidates"]] == ["vllm"]
    json.dumps(decision.record)


def test_no_rule_refuses_and_says_what_to_do():
    policy = Policy(1, "internal", {"internal": ONPREM_FR})
    decision = decide(task=_task(classification="restricted"), policy=policy, endpoints=[_ep("vllm")], live={})
    assert not decision.allowed and decision.candidates == ()
    assert "no rule for 'restricted'" in decision.refusal_reason and "PUT /api/v1/policy" in decision.refusal_reason
    assert decision.record["endpoint"] is None and decision.record["chosen"] == []


def test_datazone_eu_is_not_inside_france():
    dz = _ep(
        "dz",
        hosting="public_cloud",
        jurisdiction="US",
        region="francecentral",
        deployment_type="datazone-eu",
        max_classification="internal",
    )
    regional = _ep(
        "regional",
        hosting="public_cloud",
        jurisdiction="US",
        region="francecentral",
        deployment_type="regional",
        max_classification="internal",
    )
    glob = _ep(
        "glob",
        hosting="public_cloud",
        jurisdiction="US",
        region="francecentral",
        deployment_type="global",
        max_classification="internal",
    )
    fr_only = Rule(frozenset({"public_cloud"}), frozenset({"US"}), frozenset({"FR"}), (), False)
    eu = Rule(frozenset({"public_cloud"}), frozenset({"US"}), frozenset({"EU"}), (), False)
    task = _task(classification="internal")
    names = lambda p: [c.name for c in decide(task=task, policy=p, endpoints=[dz, regional, glob], live={}).candidates]  # noqa: E731
    assert names(Policy(1, "internal", {"internal": fr_only})) == ["regional"]
    assert sorted(names(Policy(1, "internal", {"internal": eu}))) == ["dz", "regional"]


def test_order_preference_then_health_then_cost():
    rule = Rule(frozenset({"on_premises"}), frozenset({"FR"}), frozenset({"FR"}), ("b", "a", "c", "d"), False)
    eps = [_ep("a"), _ep("b"), _ep("c", price_input_per_1k=1.0), _ep("d")]
    decision = decide(task=_task(), policy=Policy(1, "internal", {"sensitive": rule}), endpoints=eps, live={})
    assert [c.name for c in decision.candidates] == ["b", "a", "c", "d"]
    open_rule = Rule(frozenset({"on_premises"}), frozenset({"FR"}), frozenset({"FR"}), (), False)
    live = {"a": Live("degraded"), "b": Live("ok")}
    decision = decide(task=_task(), policy=Policy(1, "internal", {"sensitive": open_rule}), endpoints=eps, live=live)
    assert [c.name for c in decision.candidates] == ["b", "d", "c", "a"]  # ok, unknown (cheap, dear), degraded


def test_all_down_refuses_unless_degraded_allowed():
    live = {"vllm": Live("ok", breaker_open=True)}
    policy = Policy(1, "internal", {"sensitive": ONPREM_FR})
    decision = decide(task=_task(), policy=policy, endpoints=[_ep("vllm"), BUILTIN], live=live)
    assert not decision.allowed and "unavailable right now" in decision.refusal_reason
    assert "degraded mode" in decision.refusal_reason
    degraded_rule = Rule(ONPREM_FR.hosting, ONPREM_FR.jurisdictions, ONPREM_FR.processing, (), True)
    policy = Policy(2, "internal", {"sensitive": degraded_rule})
    decision = decide(task=_task(), policy=policy, endpoints=[_ep("vllm"), BUILTIN], live=live)
    assert decision.allowed and decision.degraded and decision.chosen == "builtin-extractive"
    decision = decide(task=_task(kind="translate"), policy=policy, endpoints=[_ep("vllm"), BUILTIN], live=live)
    assert not decision.allowed and not decision.degraded


def test_context_window_and_language_filters():
    small = _ep("small", context_window=4096)
    en_only = _ep("en", languages=frozenset({"en"}))
    policy = Policy(1, "internal", {"sensitive": ONPREM_FR})
    decision = decide(task=_task(input_tokens=4000), policy=policy, endpoints=[small, en_only], live={})
    assert not decision.allowed
    assert "smaller chunks" in decision.record["excluded"]["small"]
    assert "fr" in decision.record["excluded"]["en"]


def test_misconfigured_is_excluded():
    policy = Policy(1, "internal", {"sensitive": ONPREM_FR})
    decision = decide(task=_task(), policy=policy, endpoints=[_ep("a"), _ep("b")], live={"a": Live(misconfigured=True)})
    assert [c.name for c in decision.candidates] == ["b"]


@settings(max_examples=400, deadline=None)
@given(data=st.data(), eps=endpoints(), policy=policies(), task=tasks())
def test_never_outside_policy(data, eps, policy, task):
    live = data.draw(lives([ep.name for ep in eps]))
    decision = decide(task=task, policy=policy, endpoints=eps, live=live)
    by_name = {ep.name: ep for ep in eps}
    for candidate in decision.candidates:
        endpoint = by_name[candidate.name]
        assert inside_policy(endpoint, policy, task.classification, task.kind), (candidate, policy)
        state = live.get(candidate.name, Live())
        if endpoint.kind != "builtin_extractive":
            assert not state.breaker_open and not state.misconfigured and state.status not in ("down", "misconfigured")
            assert task.kind in endpoint.capabilities and endpoint.enabled
            assert task.input_tokens + task.output_tokens <= endpoint.context_window
    assert decision.allowed == bool(decision.candidates)
    assert decision.allowed or decision.refusal_reason
    assert decision.degraded == (decision.allowed and decision.candidates[0].kind == "builtin_extractive")
    if decision.degraded:
        assert len(decision.candidates) == 1
        # degraded only when no real model endpoint was available
        assert not any(
            inside_policy(ep, policy, task.classification, task.kind)
            and ep.kind != "builtin_extractive"
            and ep.name not in decision.record["excluded"]
            for ep in eps
        )
    assert set(decision.record["considered"]) == set(by_name)
    json.dumps(decision.record)


@given(st.text())
def test_unknown_classification_never_routes(name):
    if name in LADDER:
        return
    decision = decide(task=_task(classification=name), policy=Policy(1, "public", {}), endpoints=[_ep("a")], live={})
    assert not decision.allowed
