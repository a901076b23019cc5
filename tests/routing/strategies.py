"""Hypothesis strategies and an independent oracle of "inside the policy" (hand-written ground truth)."""

from __future__ import annotations

from hypothesis import strategies as st

from routing.classification import LADDER
from routing.gateway import TaskSpec
from routing.policy import Policy, Rule
from routing.router import EndpointSpec, Live

# (jurisdiction, region, deployment_type) -> (legal areas, processing areas), written out by hand.
PLACES: dict[tuple[str, str, str], tuple[frozenset[str], frozenset[str]]] = {
    ("FR", "", ""): (frozenset({"FR", "EU", "GLOBAL"}), frozenset({"FR", "EU", "GLOBAL"})),
    ("FR", "FR", ""): (frozenset({"FR", "EU", "GLOBAL"}), frozenset({"FR", "EU", "GLOBAL"})),
    ("DE", "", ""): (frozenset({"DE", "EU", "GLOBAL"}), frozenset({"DE", "EU", "GLOBAL"})),
    ("EU", "", ""): (frozenset({"EU", "GLOBAL"}), frozenset({"EU", "GLOBAL"})),
    ("US", "francecentral", "regional"): (
        frozenset({"US", "GLOBAL"}),
        frozenset({"francecentral", "FR", "EU", "GLOBAL"}),
    ),
    ("US", "francecentral", "datazone-eu"): (frozenset({"US", "GLOBAL"}), frozenset({"EU", "GLOBAL"})),
    ("US", "swedencentral", "global"): (frozenset({"US", "GLOBAL"}), frozenset({"GLOBAL"})),
    ("US", "eastus", "regional"): (frozenset({"US", "GLOBAL"}), frozenset({"eastus", "US", "GLOBAL"})),
    ("FR", "fr-paris-dc2", ""): (frozenset({"FR", "EU", "GLOBAL"}), frozenset({"fr-paris-dc2", "GLOBAL"})),
}
AREAS = ["FR", "DE", "EU", "US", "GLOBAL", "francecentral", "eastus"]
HOSTINGS = ["on_premises", "sovereign_cloud", "public_cloud"]
KINDS = ["summarise", "translate", "chat"]
LANGS = ["fr", "en", "de", "it"]
NAMES = [f"ep{i}" for i in range(8)]


def inside_policy(endpoint: EndpointSpec, policy: Policy, classification: str, kind: str) -> bool:
    """Oracle: may this endpoint receive this classification under this policy?"""
    rule = policy.rules.get(classification)
    if rule is None:
        return False
    if endpoint.kind == "builtin_extractive":
        return rule.degraded_mode and kind == "summarise"
    if LADDER.index(endpoint.max_classification) < LADDER.index(classification):
        return False
    if rule.endpoints and endpoint.name not in rule.endpoints:
        return False
    if endpoint.hosting not in rule.hosting:
        return False
    legal, processing = PLACES[(endpoint.jurisdiction, endpoint.region, endpoint.deployment_type)]
    return bool(legal & rule.jurisdictions) and bool(processing & rule.processing)


@st.composite
def endpoints(draw: st.DrawFn) -> list[EndpointSpec]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=len(NAMES)))
    result = []
    for name in names:
        place = draw(st.sampled_from(sorted(PLACES)))
        result.append(
            EndpointSpec(
                name=name,
                kind=draw(st.sampled_from(["openai_compatible", "azure_serverless", "azure_openai"])),
                hosting=draw(st.sampled_from(HOSTINGS)),
                jurisdiction=place[0],
                region=place[1],
                deployment_type=place[2],
                model="m",
                max_classification=draw(st.sampled_from(LADDER)),
                capabilities=frozenset(draw(st.lists(st.sampled_from(KINDS), min_size=1, unique=True))),
                languages=frozenset(draw(st.lists(st.sampled_from(LANGS), unique=True))),
                context_window=draw(st.sampled_from([4096, 32768, 131072])),
                max_output_tokens=draw(st.sampled_from([1024, 4096])),
                price_input_per_1k=draw(st.floats(0, 0.01)),
                price_output_per_1k=draw(st.floats(0, 0.03)),
                enabled=draw(st.booleans()),
            )
        )
    if draw(st.booleans()):
        result.append(
            EndpointSpec(
                name="builtin-extractive",
                kind="builtin_extractive",
                hosting="on_premises",
                jurisdiction="EU",
                region="",
                deployment_type="",
                model="",
                max_classification="restricted",
                capabilities=frozenset({"summarise"}),
                languages=frozenset(),
                context_window=10_000_000,
                max_output_tokens=1_000_000,
                price_input_per_1k=0.0,
                price_output_per_1k=0.0,
            )
        )
    return result


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    jurisdictions = frozenset(draw(st.lists(st.sampled_from(AREAS), unique=True)))
    processing = (
        jurisdictions if draw(st.booleans()) else frozenset(draw(st.lists(st.sampled_from(AREAS), unique=True)))
    )
    return Rule(
        hosting=frozenset(draw(st.lists(st.sampled_from(HOSTINGS), unique=True))),
        jurisdictions=jurisdictions,
        processing=processing,
        endpoints=tuple(draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))),
        degraded_mode=draw(st.booleans()),
    )


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    levels = draw(st.lists(st.sampled_from(LADDER), unique=True))
    return Policy(
        version=draw(st.integers(1, 50)),
        default_classification=draw(st.sampled_from(LADDER)),
        rules={level: draw(rules()) for level in levels},
    )


@st.composite
def tasks(draw: st.DrawFn) -> TaskSpec:
    return TaskSpec(
        kind=draw(st.sampled_from(KINDS)),
        languages=tuple(draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=2, unique=True))),
        input_tokens=draw(st.integers(1, 100_000)),
        output_tokens=draw(st.integers(1, 4096)),
        classification=draw(st.sampled_from(LADDER)),
    )


@st.composite
def lives(draw: st.DrawFn, names: list[str]) -> dict[str, Live]:
    return {
        name: Live(
            status=draw(st.sampled_from(["unknown", "ok", "degraded", "down", "misconfigured"])),
            breaker_open=draw(st.booleans()),
            misconfigured=draw(st.booleans()),
        )
        for name in names
    }
