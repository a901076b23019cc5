"""One test per error class, against the fake server over real HTTP."""

from __future__ import annotations

import time

import pytest

from routing.errors import AllCandidatesFailed, ContentFiltered, ContextOverflow, EndpointMisconfigured
from routing.models import EndpointHealth
from routing.resilience import limits
from routing.services import completion_create, job_route
from tests.routing.helpers import MESSAGES, make_endpoint, task

pytestmark = pytest.mark.django_db(transaction=True)


def _route(agency):
    decision = job_route(agency=agency, task=task())
    assert decision.allowed and not decision.degraded
    return decision


def _call(agency, decision, **kwargs):
    return completion_create(agency=agency, decision=decision, messages=MESSAGES, max_tokens=200, **kwargs)


def test_success_records_usage_cost_and_normalised_messages(agency_a, fake_llm, fast_retries, monkeypatch):
    monkeypatch.setenv("TEST_VLLM_KEY", "sekret-1")
    make_endpoint(
        fake_llm.url,
        "vllm",
        secret_env="TEST_VLLM_KEY",
        price_input_per_1k="0.002",
        price_output_per_1k="0.006",
        system_role=False,
    )
    result = _call(agency_a, _route(agency_a))
    assert result.endpoint_name == "vllm" and result.finish_reason == "stop"
    assert result.text.startswith("FAKE[mistral-small-2503]")
    assert result.cost == pytest.approx((result.input_tokens * 0.002 + result.output_tokens * 0.006) / 1000)
    (sent,) = fake_llm.requests
    assert sent.path == "/vllm/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sekret-1"
    # no system slot: folded into the (merged) first user turn, roles alternate
    assert sent.body["messages"] == [
        {"role": "user", "content": "Summarise in French.\n\nPremier paragraphe.\n\nSecond paragraphe."}
    ]
    assert sent.body["max_tokens"] == 200


def test_429_honours_retry_after_ms_and_cools_down(agency_a, fake_llm, fast_retries):
    make_endpoint(fake_llm.url, "vllm")
    fake_llm.script("/vllm", "429:0.3")
    started = time.monotonic()
    result = _call(agency_a, _route(agency_a))
    assert result.endpoint_name == "vllm"
    assert time.monotonic() - started >= 0.3  # waited what the server asked (300 ms), not the 10 ms backoff
    assert len(fake_llm.requests_to("/vllm")) == 2


def test_429_cool_down_is_visible_to_the_router(agency_a, fake_llm, fast_retries):
    make_endpoint(fake_llm.url, "vllm")
    fake_llm.script("/vllm", "429:20")  # asks for 20 s: beyond the wait budget? no, 5 s budget → fail over
    with pytest.raises(AllCandidatesFailed):
        _call(agency_a, _route(agency_a))
    assert "vllm" in limits().open_names(["vllm"])
    refused = job_route(agency=agency_a, task=task(kind="translate"))
    assert not refused.allowed and "circuit breaker" in refused.record["excluded"]["vllm"]


def test_5xx_backs_off_then_fails_over_in_order(agency_a, fake_llm, fast_retries):
    make_endpoint(fake_llm.url, "a-first")
    make_endpoint(fake_llm.url, "b-second")
    fake_llm.script("/a-first", "500", "502", "500")
    result = _call(agency_a, _route(agency_a))
    assert result.endpoint_name == "b-second"
    assert len(fake_llm.requests_to("/a-first")) == 3  # ROUTING_MAX_ATTEMPTS
    assert "a-first" in limits().open_names(["a-first"])  # 3 consecutive failures opened the breaker


def test_timeout_fails_over(agency_a, fake_llm, fast_retries):
    fast_retries.ROUTING_MAX_ATTEMPTS = 1
    make_endpoint(fake_llm.url, "a-slow")
    make_endpoint(fake_llm.url, "b-ok")
    fake_llm.script("/a-slow", "timeout:5")
    started = time.monotonic()
    result = _call(agency_a, _route(agency_a))
    assert result.endpoint_name == "b-ok"
    assert time.monotonic() - started < 4  # the 1 s request timeout, not the 5 s black hole


def test_connection_reset_retries(agency_a, fake_llm, fast_retries):
    make_endpoint(fake_llm.url, "vllm")
    fake_llm.script("/vllm", "reset", "reset")
    result = _call(agency_a, _route(agency_a))
    assert result.endpoint_name == "vllm" and len(fake_llm.requests_to("/vllm")) == 3


@pytest.mark.parametrize("shape", ["vllm", "llamacpp"])
def test_context_overflow_both_shapes(agency_a, fake_llm, fast_retries, shape):
    make_endpoint(fake_llm.url, "small", context_window=32768)
    fake_llm.context("/small", n_ctx=10, shape=shape)
    with pytest.raises(ContextOverflow) as excinfo:
        _call(agency_a, _route(agency_a))
    assert excinfo.value.n_ctx == 10 and excinfo.value.requested > 10
    assert "smaller chunks" in excinfo.value.message
    assert len(fake_llm.requests_to("/small")) == 1  # never retried as-is


def test_overflow_fails_over_to_a_larger_allowed_endpoint(agency_a, fake_llm, fast_retries):
    make_endpoint(fake_llm.url, "a-small")
    make_endpoint(fake_llm.url, "b-large")
    fake_llm.script("/a-small", "overflow_llamacpp")
    assert _call(agency_a, _route(agency_a)).endpoint_name == "b-large"


def test_prompt_too_large_for_context_is_not_sent(agency_a, fake_llm, fast_retries):
    make_endpoint(fake_llm.url, "tiny", context_window=1000, max_output_tokens=200)
    decision = job_route(agency=agency_a, task=task(input_tokens=100, output_tokens=100))
    with pytest.raises(ContextOverflow) as excinfo:
        completion_create(
            agency=agency_a, decision=decision, messages=[{"role": "user", "content": "mot " * 2000}], max_tokens=100
        )
    assert excinfo.value.n_ctx == 1000
    assert fake_llm.requests == []


@pytest.mark.parametrize("fault", ["content_filter", "content_filter_output"])
def test_content_filter_is_not_retried_nor_failed_over(agency_a, fake_llm, fast_retries, fault):
    make_endpoint(fake_llm.url, "a-azure", kind="azure_serverless")
    make_endpoint(fake_llm.url, "b-other")
    fake_llm.script("/a-azure", fault)
    with pytest.raises(ContentFiltered) as excinfo:
        _call(agency_a, _route(agency_a))
    assert not excinfo.value.retryable and "content filter" in excinfo.value.message
    assert len(fake_llm.requests) == 1 and fake_llm.requests_to("/b-other") == []


@pytest.mark.parametrize("status", ["401", "403"])
def test_auth_refused_marks_misconfigured(agency_a, fake_llm, fast_retries, status):
    endpoint = make_endpoint(fake_llm.url, "azure", kind="azure_serverless")
    fake_llm.script("/azure", status)
    with pytest.raises(EndpointMisconfigured) as excinfo:
        _call(agency_a, _route(agency_a))
    assert not excinfo.value.retryable
    assert len(fake_llm.requests) == 1  # never retried
    health = EndpointHealth.objects.get(endpoint=endpoint)
    assert health.misconfigured and health.status == "misconfigured" and status in health.last_error
    refused = job_route(agency=agency_a, task=task())
    assert not refused.allowed or refused.degraded
    assert "misconfigured" in refused.record["excluded"]["azure"]


def test_missing_secret_env_is_misconfigured_without_a_request(agency_a, fake_llm, fast_retries, monkeypatch):
    monkeypatch.delenv("NOT_SET_KEY", raising=False)
    make_endpoint(fake_llm.url, "vllm", secret_env="NOT_SET_KEY")
    with pytest.raises(EndpointMisconfigured) as excinfo:
        _call(agency_a, _route(agency_a))
    assert "NOT_SET_KEY" in excinfo.value.message and fake_llm.requests == []


def test_503_loading_waits_and_retries(agency_a, fake_llm, fast_retries):
    make_endpoint(fake_llm.url, "llama")
    fake_llm.script("/llama", "503_loading", "503_loading")
    result = _call(agency_a, _route(agency_a))
    assert result.endpoint_name == "llama" and len(fake_llm.requests) == 3
    assert "llama" not in limits().open_names(["llama"])  # loading is not a failure of the endpoint


def test_all_down_raises_retryable(agency_a, fake_llm, fast_retries):
    make_endpoint(fake_llm.url, "a")
    make_endpoint(fake_llm.url, "b")
    fake_llm.script("/a", "500", "500", "500")
    fake_llm.script("/b", "500", "500", "500")
    with pytest.raises(AllCandidatesFailed) as excinfo:
        _call(agency_a, _route(agency_a))
    assert excinfo.value.retryable and "500" in excinfo.value.last_error


def test_narrowed_policy_stops_in_flight_work(agency_a, fake_llm, fast_retries):
    from audit.actors import Actor
    from routing.errors import ModelCallError
    from routing.services import policy_update

    make_endpoint(fake_llm.url, "vllm")
    decision = _route(agency_a)
    policy_update(
        agency=agency_a,
        actor=Actor.system("t"),
        default_classification="internal",
        rules={"internal": {"hosting": ["sovereign_cloud"], "jurisdictions": ["FR"]}},
    )
    with pytest.raises(ModelCallError) as excinfo:
        _call(agency_a, decision)
    assert not excinfo.value.retryable and "no longer allows" in excinfo.value.message
    assert fake_llm.requests == []


def test_failover_rechecks_the_endpoint_it_is_about_to_use(agency_a, fake_llm, fast_retries):
    """The operator lowers b's ceiling while a is timing out: the failover must not send internal data to b."""
    import threading

    from django.db import connection

    from routing.models import Endpoint

    fast_retries.ROUTING_MAX_ATTEMPTS = 1
    make_endpoint(fake_llm.url, "a-slow")
    make_endpoint(fake_llm.url, "b-next")
    fake_llm.script("/a-slow", "timeout:3")
    decision = _route(agency_a)
    assert [c.name for c in decision.candidates] == ["a-slow", "b-next"]

    def lower_ceiling() -> None:
        Endpoint.objects.filter(name="b-next").update(max_classification="public")
        connection.close()

    timer = threading.Timer(0.3, lower_ceiling)
    timer.start()
    try:
        with pytest.raises(AllCandidatesFailed):
            _call(agency_a, decision)
    finally:
        timer.join(timeout=5)
    assert fake_llm.requests_to("/b-next") == []


def test_document_raised_to_a_higher_level_stops_in_flight_work(agency_a, fake_llm, fast_retries):
    """Routed as internal; the document is now restricted, for which the default policy allows nothing."""
    from routing.errors import ModelCallError

    make_endpoint(fake_llm.url, "vllm", max_classification="restricted")
    decision = _route(agency_a)
    with pytest.raises(ModelCallError) as excinfo:
        _call(agency_a, decision, classification="restricted")
    assert not excinfo.value.retryable and "no longer allows" in excinfo.value.message
    assert fake_llm.requests == []
    assert _call(agency_a, decision, classification="internal").endpoint_name == "vllm"
