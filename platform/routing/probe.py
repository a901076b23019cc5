"""Health probes: a cheap real request to each endpoint, its outcome stored for operators and the router."""

from __future__ import annotations

import time

import openai

from routing.client import classify, client_for
from routing.errors import EndpointMisconfigured
from routing.health import endpoint_health_record
from routing.models import Endpoint, EndpointHealth, HealthStatus, Kind

PROBE_TIMEOUT = 10.0
SLOW_MS = 5000.0


def endpoint_probe(*, endpoint: Endpoint) -> EndpointHealth:
    """Probe one endpoint: list models on self-hosted servers, a 1-token completion on Azure (no list there)."""
    if endpoint.kind == Kind.BUILTIN_EXTRACTIVE:
        return endpoint_health_record(endpoint=endpoint, status=HealthStatus.OK, latency_ms=0.0)
    started = time.monotonic()
    try:
        client = client_for(endpoint, timeout=PROBE_TIMEOUT)
        if endpoint.kind == Kind.OPENAI_COMPATIBLE:
            client.models.list()
        else:
            client.chat.completions.create(
                model=endpoint.model or "default", messages=[{"role": "user", "content": "ping"}], max_tokens=1
            )
    except EndpointMisconfigured as exc:
        return endpoint_health_record(endpoint=endpoint, status=HealthStatus.MISCONFIGURED, error=exc.message)
    except openai.OpenAIError as exc:
        return endpoint_health_record(endpoint=endpoint, status=_status_for(exc, endpoint.name), error=_text(exc))
    latency = (time.monotonic() - started) * 1000
    status = HealthStatus.DEGRADED if latency > SLOW_MS else HealthStatus.OK
    return endpoint_health_record(endpoint=endpoint, status=status, latency_ms=latency)


def _status_for(exc: Exception, name: str) -> str:
    failure = classify(exc, name)
    if isinstance(failure.error, EndpointMisconfigured):
        return HealthStatus.MISCONFIGURED
    if "loading" in failure.summary or failure.summary.startswith("429"):
        return HealthStatus.DEGRADED  # alive: loading its model, or busy
    if failure.summary.startswith("400"):
        return HealthStatus.OK  # it answered; our 1-token ping is what it disliked
    return HealthStatus.DOWN


def _text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def endpoints_probe_all() -> dict[str, str]:
    """Probe every enabled endpoint; return name → status."""
    return {
        endpoint.name: endpoint_probe(endpoint=endpoint).status
        for endpoint in Endpoint.objects.filter(enabled=True).order_by("name")
    }
