from __future__ import annotations

import pytest

from routing.models import EndpointHealth
from routing.probe import endpoint_probe
from routing.selectors import endpoints_health_summary
from routing.services import endpoint_builtin_ensure
from routing.tasks import endpoints_probe
from tests.routing.helpers import make_endpoint

pytestmark = pytest.mark.django_db(transaction=True)


def test_probe_statuses(fake_llm, fast_retries):
    ok = make_endpoint(fake_llm.url, "ok")
    loading = make_endpoint(fake_llm.url, "loading")
    refused = make_endpoint(fake_llm.url, "refused")
    azure = make_endpoint(fake_llm.url, "azure", kind="azure_serverless")
    down = make_endpoint("http://127.0.0.1:9", "down")
    fake_llm.script("/refused", "401")
    fake_llm.script("/azure", "503_loading")
    assert endpoint_probe(endpoint=ok).status == "ok"
    assert endpoint_probe(endpoint=refused).status == "misconfigured"
    assert EndpointHealth.objects.get(endpoint=refused).misconfigured
    assert endpoint_probe(endpoint=azure).status == "degraded"
    assert fake_llm.requests_to("/azure")[0].body["max_tokens"] == 1  # Azure: a 1-token completion
    assert endpoint_probe(endpoint=down).status == "down"
    assert "Connection" in EndpointHealth.objects.get(endpoint=down).last_error
    # a later success clears a misconfiguration
    assert endpoint_probe(endpoint=refused).status == "ok"
    assert not EndpointHealth.objects.get(endpoint=refused).misconfigured
    assert loading.name == "loading"


def test_beat_task_and_summary(fake_llm, fast_retries, settings):
    make_endpoint(fake_llm.url, "vllm")
    make_endpoint("http://127.0.0.1:9", "gone")
    endpoint_builtin_ensure()
    assert "routing-endpoints-probe" in settings.CELERY_BEAT_SCHEDULE
    statuses = endpoints_probe()
    assert statuses == {"builtin-extractive": "ok", "gone": "down", "vllm": "ok"}
    summary = endpoints_health_summary()
    assert summary["ok"] and summary["llm_available"]
    assert summary["counts"] == {"ok": 2, "down": 1}
    assert summary["endpoints"]["gone"]["status"] == "down" and "base_url" not in summary["endpoints"]["gone"]
