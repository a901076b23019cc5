"""Pipeline benchmark: N documents x k chunks on real Celery workers against the fake model server.

Each request to the fake model takes L seconds; the endpoint allows M concurrent requests. The ideal time is
T* = ceil(N*k / min(worker slots, M)) * L. Prints T*, the measured time and their ratio (target >= 0.90),
enqueue->start latency p50/p99 and lost / duplicated counts (must be 0).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tramontane_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/5
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/pipeline.py --docs 8 --chunks 6 --latency 0.5 --cap 4 --workers 2 --concurrency 2

Uses your database (creates a fresh "bench-..." agency) and FLUSHDB on the broker's Redis db: use dedicated ones.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=8, help="N documents")
    parser.add_argument("--chunks", type=int, default=6, help="k chunks per document")
    parser.add_argument("--latency", type=float, default=0.5, help="L seconds per model request")
    parser.add_argument("--cap", type=int, default=4, help="M: endpoint concurrency cap")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="pool size of each worker")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        print("Set DATABASE_URL to a migrated PostgreSQL database.", file=sys.stderr)
        return 2
    os.environ.setdefault("CELERY_BROKER_URL", settings.CELERY_BROKER_URL)
    return run(args)


def run(args: argparse.Namespace) -> int:
    from django.conf import settings

    from tests.support.fake_llm import FakeLLM
    from tests.support.workers import broker_flush, start_worker

    arrivals: dict[tuple[int, int], list[float]] = {}
    lock = threading.Lock()
    block = re.compile(r"DOC(\d+)B(\d+)")

    def reply(body: dict) -> str:
        arrived = time.time()
        user = body["messages"][-1]["content"]
        with lock:
            for doc, blk in block.findall(user):
                arrivals.setdefault((int(doc), int(blk)), []).append(arrived)
        time.sleep(args.latency)
        return user  # an "identity translation": the result must contain every block exactly once

    fake = FakeLLM(reply=reply).start()
    broker_flush()
    agency, endpoint_name = _setup(fake.url, args)
    slots = args.workers * args.concurrency
    db = settings.DATABASES["default"]
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    url = f"postgres://{db.get('USER') or 'postgres'}@{host}/{db['NAME']}"
    workers = [
        start_worker(
            queues=("default", "parse", "llm"), concurrency=args.concurrency, name=f"bench{i}", database_url=url
        )
        for i in range(args.workers)
    ]
    try:
        jobs, start = _submit(agency, args)
        finished = _wait(jobs, args.timeout)
        elapsed = time.time() - start
    finally:
        for worker in workers:
            worker.stop()
        fake.stop()
        _retire(endpoint_name)
    _report(args, slots, jobs, finished, elapsed, arrivals, endpoint_name)
    _breakdown(args, slots, start, elapsed, arrivals)
    return 0


def _retire(endpoint_name: str) -> None:
    """Disable this run's endpoint: its fake server is gone, and a later run must not be routed to it."""
    from routing.models import Endpoint

    Endpoint.objects.filter(name=endpoint_name).update(enabled=False)


def _setup(fake_url: str, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from routing.models import Endpoint
    from tenants.models import Agency

    # Endpoints of earlier (e.g. interrupted) runs point at fake servers that no longer exist: routing to them would
    # measure connection errors, not the pipeline.
    Endpoint.objects.filter(name__startswith="bench-fake-").update(enabled=False)
    stamp = time.strftime("%Y%m%d%H%M%S")
    agency = Agency.objects.create(slug=f"bench-{stamp}", name=f"Bench {stamp}", country_code="FR")
    name = f"bench-fake-{stamp}"
    Endpoint.objects.create(
        name=name,
        kind="openai_compatible",
        base_url=f"{fake_url}/bench/v1",
        model="fake",
        auth="none",
        hosting="on_premises",
        jurisdiction="FR",
        region="FR",
        max_classification="sensitive",
        capabilities=["summarise", "translate"],
        languages=[],
        context_window=2000,
        max_output_tokens=800,
        max_concurrency=args.cap,
    )
    return agency, name


def _submit(agency, args):  # type: ignore[no-untyped-def]
    from django.core.files.base import ContentFile

    from audit.actors import Actor
    from documents.models import Document, DocumentStatus
    from jobs.services import job_create
    from tenants.scope import agency_scope

    # Blocks sized so that exactly one fits per chunk (chunk budget ~ 450 tokens at this context window).
    filler = " ".join(["the committee reviewed the regional budget"] * 45)
    jobs = []
    with agency_scope(agency):
        documents = []
        for n in range(args.docs):
            blocks = [{"type": "paragraph", "text": f"DOC{n}B{j} {filler}."} for j in range(args.chunks)]
            document = Document(
                agency=agency,
                title=f"bench {n}",
                sha256="0" * 64,
                size=1,
                mime_type="text/plain",
                classification="internal",
                language="en",
                status=DocumentStatus.READY,
                extraction={"blocks": blocks, "chars": 1},
            )
            document.file.save(f"bench-{n}.txt", ContentFile(b"bench"), save=False)
            document.save()
            documents.append(document)
        start = time.time()
        for document in documents:
            job, _ = job_create(
                agency=agency,
                actor=Actor.system("bench"),
                document=document,
                kind="translate",
                params={"target_language": "fr", "source_language": "en"},
            )
            jobs.append(job.pk)
    return jobs, start


def _wait(jobs: list[int], timeout: float) -> dict[int, str]:
    from jobs.models import Job

    deadline = time.time() + timeout
    while time.time() < deadline:
        states = dict(Job.unscoped_objects.filter(pk__in=jobs).values_list("pk", "status"))
        if all(s in {"succeeded", "failed", "cancelled"} for s in states.values()):
            return states
        time.sleep(0.1)
    return dict(Job.unscoped_objects.filter(pk__in=jobs).values_list("pk", "status"))


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _report(args, slots, jobs, finished, elapsed, arrivals, endpoint_name) -> None:  # type: ignore[no-untyped-def]
    from jobs.models import Job, JobChunk, UsageRecord

    total = args.docs * args.chunks
    ideal = math.ceil(total / min(slots, args.cap)) * args.latency
    lost = 0
    rows = Job.unscoped_objects.filter(pk__in=jobs)
    for index, job in enumerate(rows.order_by("pk")):
        for j in range(args.chunks):
            if job.status != "succeeded" or job.result_markdown.count(f"DOC{index}B{j} ") != 1:
                lost += 1
    duplicated = sum(len(times) - 1 for times in arrivals.values() if len(times) > 1)
    usage_dup = (
        UsageRecord.unscoped_objects.filter(job_id__in=jobs).count()
        - JobChunk.unscoped_objects.filter(job_id__in=jobs, status="done").count()
    )
    started = {job.pk: job.started_at.timestamp() for job in rows if job.started_at}
    waits = []
    for index, job_id in enumerate(sorted(jobs)):
        for j in range(args.chunks):
            times = arrivals.get((index, j))
            if times and job_id in started:
                waits.append(times[0] - started[job_id])
    print(
        f"documents N={args.docs} chunks k={args.chunks} latency L={args.latency}s cap M={args.cap} "
        f"worker slots={slots} (endpoint {endpoint_name})"
    )
    print(f"ideal T* = ceil({total}/{min(slots, args.cap)}) x {args.latency} = {ideal:.2f} s")
    print(f"measured  = {elapsed:.2f} s   ratio T*/measured = {ideal / elapsed:.3f} (target >= 0.90)")
    print(
        f"enqueue->start p50 = {_percentile(waits, 0.5) * 1000:.0f} ms, p99 = {_percentile(waits, 0.99) * 1000:.0f} ms"
        f" over {len(waits)} chunks"
    )
    print(f"jobs: {sum(1 for s in finished.values() if s == 'succeeded')}/{len(jobs)} succeeded")
    print(f"lost chunks = {lost}   duplicated model calls = {duplicated}   duplicated usage rows = {usage_dup}")


def _breakdown(args, slots, start, elapsed, arrivals) -> None:  # type: ignore[no-untyped-def]
    """Where the time beyond T* went: before the first model request, between requests on a slot, after the last."""
    firsts = sorted(times[0] for times in arrivals.values())
    if len(firsts) < 2:
        return
    parallel = min(slots, args.cap)
    rounds = math.ceil(len(firsts) / parallel)
    startup = firsts[0] - start
    tail = start + elapsed - (firsts[-1] + args.latency)
    gap = ((firsts[-1] - firsts[0]) / (rounds - 1) - args.latency) if rounds > 1 else 0.0
    print(
        f"overhead: first model request {startup * 1000:.0f} ms after submit; "
        f"~{gap * 1000:.0f} ms per chunk between requests on a slot ({rounds} rounds); "
        f"{tail * 1000:.0f} ms from the last answer to the last job finished"
    )


if __name__ == "__main__":
    raise SystemExit(main())
