"""Gateway overhead: latency of routing.services.completion_create vs a direct openai call, against the fake server.

    .venv/bin/python bench/gateway.py [--calls 200] [--redis redis://127.0.0.1:6379/2]

Runs on a throw-away SQLite database (migrated here), so it touches no real data. Without --redis the shared
limits use the database fallback. Prints absolute medians/p95 and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]


def _measure(fn, calls: int) -> list[float]:
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _describe(label: str, timings: list[float]) -> float:
    median = statistics.median(timings)
    p95 = sorted(timings)[int(len(timings) * 0.95) - 1]
    print(f"{label:<28} median {median:7.2f} ms   p95 {p95:7.2f} ms   (n={len(timings)})")
    return median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--redis", default="")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="tramontane-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["TRAMONTANE_DATA_DIR"] = workdir
    os.environ["REDIS_URL"] = args.redis
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import logging

    logging.getLogger("httpx2").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import openai

    from routing.gateway import TaskSpec
    from routing.models import Endpoint
    from routing.services import completion_create, job_route
    from tenants.models import Agency
    from tests.support.fake_llm import FakeLLM

    fake = FakeLLM().start()
    try:
        Endpoint.objects.create(
            name="bench",
            kind="openai_compatible",
            base_url=f"{fake.url}/bench/v1",
            model="mistral-small-2503",
            hosting="on_premises",
            jurisdiction="FR",
            max_classification="sensitive",
            capabilities=["summarise"],
            context_window=32768,
            max_output_tokens=1024,
            max_concurrency=8,
        )
        agency = Agency.objects.create(slug="bench", name="Bench", country_code="FR")
        messages = [{"role": "system", "content": "Summarise."}, {"role": "user", "content": "Texte. " * 200}]
        direct = openai.OpenAI(base_url=f"{fake.url}/bench/v1", api_key="x", max_retries=0)
        decision = job_route(agency=agency, task=TaskSpec("summarise", ("fr",), 1000, 200, "internal"))

        def direct_call() -> None:
            direct.chat.completions.create(model="mistral-small-2503", messages=messages, max_tokens=200)

        def gateway_call() -> None:
            completion_create(agency=agency, decision=decision, messages=messages, max_tokens=200)

        _measure(direct_call, 10)
        _measure(gateway_call, 10)  # warm up: tokenizer load, connections
        backend = "redis" if args.redis else "database (sqlite)"
        print(f"limits backend: {backend}")
        base = _describe("direct openai call", _measure(direct_call, args.calls))
        through = _describe("through completion_create", _measure(gateway_call, args.calls))
        route = _describe(
            "job_route (routing only)",
            _measure(lambda: job_route(agency=agency, task=TaskSpec("summarise", ("fr",), 1000, 200, "internal")), 50),
        )
        print(
            f"gateway/direct latency ratio: {through / base:.2f}x  (+{through - base:.2f} ms per call); "
            f"routing a job: {route:.2f} ms"
        )
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
