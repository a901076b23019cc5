"""Opt-in conformance against a real llama.cpp server: `../shared/tools/real-llm start 18083` (REAL_LLM_CTX=512
makes overflow easy), then TRAMONTANE_REAL_LLM_URL=http://127.0.0.1:18083/v1 pytest -m realllm tests/routing."""

from __future__ import annotations

import os

import pytest

from routing.errors import ContextOverflow
from routing.probe import endpoint_probe
from routing.services import completion_create, job_route
from tests.routing.helpers import make_endpoint, task

REAL_URL = os.environ.get("TRAMONTANE_REAL_LLM_URL", "")
pytestmark = [
    pytest.mark.realllm,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not REAL_URL, reason="set TRAMONTANE_REAL_LLM_URL to run the real llama.cpp conformance test"),
]


@pytest.fixture
def real_endpoint(fast_retries):
    fast_retries.ROUTING_REQUEST_TIMEOUT = 120.0
    endpoint = make_endpoint("http://unused", "real-llama", model="gemma", context_window=100_000)
    endpoint.base_url = REAL_URL.rstrip("/")
    endpoint.save()
    return endpoint


def test_real_completion_usage_and_probe(agency_a, real_endpoint):
    assert endpoint_probe(endpoint=real_endpoint).status == "ok"
    decision = job_route(agency=agency_a, task=task(input_tokens=50, output_tokens=16))
    result = completion_create(
        agency=agency_a,
        decision=decision,
        messages=[{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Name a colour."}],
        max_tokens=16,
    )
    assert result.endpoint_name == "real-llama"
    assert result.input_tokens > 0 and 0 < result.output_tokens <= 16
    assert result.finish_reason in ("stop", "length")


def test_real_overflow_is_context_overflow(agency_a, real_endpoint):
    # Our own context check is relaxed (100k) so the server's real error body is what we parse.
    decision = job_route(agency=agency_a, task=task(input_tokens=50, output_tokens=16))
    with pytest.raises(ContextOverflow) as excinfo:
        completion_create(
            agency=agency_a, decision=decision, messages=[{"role": "user", "content": "word " * 20000}], max_tokens=16
        )
    assert excinfo.value.n_ctx and excinfo.value.requested and excinfo.value.requested > excinfo.value.n_ctx
