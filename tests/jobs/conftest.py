from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.actors import Actor
from documents.models import Document
from documents.services import document_extract, document_upload
from jobs.models import ChunkStatus, Job, JobChunk
from jobs.pipeline import chunk_process, job_plan
from routing.models import Endpoint
from tenants.models import Agency, Role
from tenants.scope import agency_scope
from tests.support.fake_llm import fake_llm, fake_llm_server  # noqa: F401 - fixtures

MARK = re.compile(r"MARK\d{4}")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ROUTING_BACKOFF_BASE = 0.01
    settings.ROUTING_BACKOFF_CAP = 0.05
    settings.ROUTING_MAX_WAIT = 2.0
    settings.ROUTING_REQUEST_TIMEOUT = 10.0
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _clean_redis_state():
    from django.conf import settings as django_settings

    url = getattr(django_settings, "REDIS_URL", "")
    if url:
        import redis

        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter("tramontane:routing:*"))
        if keys:
            client.delete(*keys)
        client.close()
    yield


def marker_reply(body: dict[str, Any]) -> str:
    """Fake model: a 'summary' listing every MARKnnnn it was given; a 'translation' that keeps each block's
    Markdown prefix and tags the text, so tests can check coverage, order and structure."""
    messages = body.get("messages") or []
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    if system.startswith("Translate"):
        target = re.search(r"into (\w+)", system).group(1)[:2].upper()
        out = []
        for line in user.split("\n"):
            if re.match(r"^\|(-+\|)+$", line):
                out.append(line)
                continue
            match = re.match(r"^(#{1,6} |- |\| )?(.*)$", line)
            prefix, text = match.group(1) or "", match.group(2)
            out.append(f"{prefix}[{target}] {text}" if text.strip() else line)
        return "\n".join(out)
    return summary_reply(user)


RANGE = re.compile(r"R(\d+)-(\d+):(\d+)")


def summary_reply(text: str) -> str:
    """Map: the markers seen, as ranges with counts ("R0-13:14"); reduce: contiguous ranges merged, counts summed.
    A final "R0-119:120" proves that every one of 120 markers went through a map and every reduce."""
    spans = [(int(a), int(b), int(n)) for a, b, n in RANGE.findall(text)]
    spans += [(int(m[4:]), int(m[4:]), 1) for m in MARK.findall(text)]
    spans.sort()
    merged: list[list[int]] = []
    for a, b, n in spans:
        if merged and a == merged[-1][1] + 1:
            merged[-1][1], merged[-1][2] = b, merged[-1][2] + n
        else:
            merged.append([a, b, n])
    return "SUMMARY " + " ".join(f"R{a}-{b}:{n}" for a, b, n in merged)


@pytest.fixture
def llm(fake_llm, db):  # noqa: F811
    """One on-premises FR endpoint at the fake model server, small context so documents need many chunks."""
    fake_llm.reply = marker_reply

    def make(
        name: str = "fake-onprem",
        *,
        context_window: int = 1200,
        max_output_tokens: int = 300,
        languages: list[str] | None = None,
        path: str = "/ep1",
    ) -> Endpoint:
        return Endpoint.objects.create(
            name=name,
            kind="openai_compatible",
            base_url=f"{fake_llm.url}{path}/v1",
            model="fake-mistral",
            auth="none",
            hosting="on_premises",
            jurisdiction="FR",
            region="FR",
            max_classification="sensitive",
            capabilities=["summarise", "translate"],
            languages=languages or [],
            context_window=context_window,
            max_output_tokens=max_output_tokens,
            max_concurrency=8,
            price_input_per_1k="0.001",
            price_output_per_1k="0.003",
        )

    make.fake = fake_llm  # type: ignore[attr-defined]
    return make


def long_text(paragraphs: int, *, language: str = "en") -> str:
    sentence = {
        "en": "The ministry reviewed the annual budget and the public services of the region in detail",
        "fr": "Le ministère a examiné en détail le budget annuel et les services publics de la région",
    }[language]
    parts = ["# Report\n"]
    for n in range(paragraphs):
        if n % 10 == 0:
            parts.append(f"## Section {n // 10 + 1}\n")
        parts.append(f"{sentence} MARK{n:04d}. {sentence}.\n")
    return "\n".join(parts)


def upload(agency: Agency, data: bytes, name: str, *, role: str = Role.MEMBER, extract: bool = True) -> Document:
    with agency_scope(agency):
        document = document_upload(
            agency=agency,
            actor=Actor.system("tests"),
            uploaded_file=SimpleUploadedFile(name, data),
            role=role,
            title=name,
        )
        if extract:
            document = document_extract(agency=agency, document_id=document.pk)
    return document


def drive(
    agency: Agency, job_id: int, *, max_rounds: int = 60, before_chunk: Callable[[JobChunk], None] | None = None
) -> Job:
    """Run a job's pipeline in this process, as the workers would (dispatch is on_commit, which tests skip)."""
    with agency_scope(agency):
        job_plan(agency=agency, job_id=job_id)
        for _ in range(max_rounds):
            job = Job.objects.get(pk=job_id)
            if job.is_terminal:
                return job
            pending = list(
                JobChunk.objects.filter(job=job, level=job.level, status=ChunkStatus.PENDING).order_by("sort_key")
            )
            for chunk in pending:
                if before_chunk is not None:
                    before_chunk(chunk)
                chunk_process(agency=agency, chunk_id=chunk.pk)
        return Job.objects.get(pk=job_id)


@pytest.fixture
def key_client(make_key, api_client) -> Iterator[Callable[..., Any]]:
    def make(agency: Agency, role: str = Role.MEMBER):
        return api_client(make_key(agency, role))

    yield make


@pytest.fixture
def workers(settings):
    """Start real Celery workers (tests/support/workers.py); all are stopped at teardown. Short leases so the
    reconciler recovers lost work within seconds."""
    from tests.support.workers import broker_flush, start_worker

    broker_flush()  # our broker db only: no stale messages from earlier tests
    settings.TRAMONTANE_JOB_LEASE_SECONDS = 4
    started = []

    def start(**kwargs):
        env = {
            "TRAMONTANE_JOB_LEASE_SECONDS": "4",
            # Workers get the test's webhook allowlist (see allow_local_webhooks) through their environment.
            "TRAMONTANE_WEBHOOK_ALLOWED_HOSTS": ",".join(settings.TRAMONTANE_WEBHOOK_ALLOWED_HOSTS),
            **kwargs.pop("env", {}),
        }
        worker = start_worker(env=env, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()
    broker_flush()


@pytest.fixture
def allow_local_webhooks(settings):
    """Test webhook receivers listen on 127.0.0.1, which the product refuses (SSRF): the operator allowlist lets
    this one host in, explicitly, as an operator would for an internal receiver."""
    settings.TRAMONTANE_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return settings
