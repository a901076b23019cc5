"""Endpoint health writes (probe results, misconfiguration seen by a live call). Platform-wide, operator-facing."""

from __future__ import annotations

from django.utils import timezone

from routing.models import Endpoint, EndpointHealth, HealthStatus


def endpoint_health_record(
    *, endpoint: Endpoint, status: str, latency_ms: float | None = None, error: str = ""
) -> EndpointHealth:
    """Store the outcome of a probe or call. A success clears a previous misconfiguration."""
    now = timezone.now()
    health, _ = EndpointHealth.objects.get_or_create(endpoint=endpoint)
    health.status = status
    health.latency_ms = latency_ms
    health.last_error = error[:500]
    health.misconfigured = status == HealthStatus.MISCONFIGURED
    health.checked_at = now
    if status in (HealthStatus.OK, HealthStatus.DEGRADED):
        health.last_ok_at = now
    health.save()
    return health
