"""Celery tasks of the routing package (thin: they call services)."""

from __future__ import annotations

from celery import shared_task

from routing.probe import endpoints_probe_all


@shared_task(name="routing.tasks.endpoints_probe", ignore_result=True, soft_time_limit=300, time_limit=330)
def endpoints_probe() -> dict[str, str]:
    """Periodic (Celery beat) health probe of every enabled endpoint. Platform-wide: no agency scope needed."""
    return endpoints_probe_all()
