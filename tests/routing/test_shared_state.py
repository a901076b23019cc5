"""Breaker, concurrency and rate limits are shared by separate worker processes (Redis, or the database when
no Redis is configured)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.routing.helpers import make_endpoint
from tests.support import workers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
SCRIPT = Path(__file__).with_name("call_process.py")
FAST = {"ROUTING_BACKOFF_BASE": 0.01, "ROUTING_BACKOFF_CAP": 0.05, "ROUTING_MAX_WAIT": 8.0}


@pytest.fixture(params=["redis", "database"])
def backend(request, settings):
    if request.param == "database":
        settings.REDIS_URL = ""
    elif not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set")
    return request.param


def _spawn(agency, backend: str, delay: float = 0.0) -> subprocess.Popen:
    from django.conf import settings

    env = {**os.environ, "DATABASE_URL": workers.test_database_url(), "REDIS_URL": settings.REDIS_URL}
    args = json.dumps({"agency_id": agency.pk, "delay": delay, "settings": FAST})
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=SCRIPT.parents[2],
    )


def _result(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err.decode()[-2000:]
    return json.loads(out.decode().strip().splitlines()[-1])


def test_breaker_opened_by_one_process_is_respected_by_another(agency_a, fake_llm, backend):
    make_endpoint(fake_llm.url, "a-flaky")
    make_endpoint(fake_llm.url, "b-steady")
    fake_llm.script("/a-flaky", "500", "500", "500", "500", "500", "500")
    first = _result(_spawn(agency_a, backend))
    assert first == {"ok": True, "endpoint": "b-steady", "routed": ["a-flaky", "b-steady"]}
    assert len(fake_llm.requests_to("/a-flaky")) == 3
    second = _result(_spawn(agency_a, backend))
    assert second["ok"] and second["endpoint"] == "b-steady"
    assert second["routed"] == ["b-steady"]  # the router saw the open breaker
    assert len(fake_llm.requests_to("/a-flaky")) == 3  # no request from the second process


def test_concurrency_limit_is_shared(agency_a, fake_llm, backend):
    make_endpoint(fake_llm.url, "single", max_concurrency=1)
    fake_llm.script("/single", "latency:1.0", "latency:1.0", "latency:1.0")
    processes = [_spawn(agency_a, backend) for _ in range(3)]
    results = [_result(p) for p in processes]
    assert all(r["ok"] for r in results), results
    assert len(fake_llm.requests_to("/single")) == 3
    assert fake_llm.peak_in_flight("/single") == 1


def test_rpm_limit_is_shared(agency_a, fake_llm, backend):
    make_endpoint(fake_llm.url, "quota", rpm=1)
    if time.time() % 60 > 40:  # both calls must land in the same one-minute window
        time.sleep(61 - time.time() % 60)
    processes = [_spawn(agency_a, backend) for _ in range(2)]
    results = [_result(p) for p in processes]
    assert len(fake_llm.requests_to("/quota")) == 1
    assert sorted(r["ok"] for r in results) == [False, True]
    failed = next(r for r in results if not r["ok"])
    assert failed["error"] == "AllCandidatesFailed" and "rpm" in failed["message"]
