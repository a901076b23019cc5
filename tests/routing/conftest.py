from __future__ import annotations

import pytest

from tests.support.fake_llm import fake_llm, fake_llm_server  # noqa: F401 - fixtures


@pytest.fixture
def fast_retries(settings):
    settings.ROUTING_BACKOFF_BASE = 0.01
    settings.ROUTING_BACKOFF_CAP = 0.05
    settings.ROUTING_LOADING_WAIT = 0.05
    settings.ROUTING_MAX_WAIT = 5.0
    settings.ROUTING_REQUEST_TIMEOUT = 1.0
    settings.ROUTING_BREAKER_OPEN_SECONDS = 30.0
    return settings


@pytest.fixture(autouse=True)
def _clean_redis_state():
    """Breaker and limit keys live in Redis when configured: start each test from nothing (our db only)."""
    from django.conf import settings as django_settings

    url = getattr(django_settings, "REDIS_URL", "")
    if url:
        import redis

        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter("tramontane:routing:*"))
        if keys:
            client.delete(*keys)
    yield
