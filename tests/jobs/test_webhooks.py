"""Webhook delivery: signed body, retry with backoff, exactly one delivery row per job end, no cross-agency."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.actors import Actor
from jobs.models import DeliveryStatus, Job, JobChunk, Webhook, WebhookDelivery
from jobs.pipeline import chunk_process
from jobs.services import job_create, webhook_deliver
from tenants.scope import agency_scope
from tests.jobs.conftest import drive, long_text, upload
from tests.jobs.test_workers import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(allow_local_webhooks):
    r = Receiver()
    yield r
    r.close()


def _job(agency, llm):
    llm()
    document = upload(agency, long_text(3).encode(), "r.md")
    with agency_scope(agency):
        job, _ = job_create(agency=agency, actor=Actor.system("t"), document=document, kind="summarise", params={})
    return drive(agency, job.pk)


def test_signed_delivery_then_no_redelivery(agency_a, agency_b, llm, receiver) -> None:
    with agency_scope(agency_a):
        Webhook.objects.create(agency=agency_a, url=receiver.url, secret="a-secret-0123456789")
    with agency_scope(agency_b):
        Webhook.objects.create(agency=agency_b, url=receiver.url, secret="b-secret-0123456789")
    job = _job(agency_a, llm)
    with agency_scope(agency_a):
        delivery = WebhookDelivery.objects.get(job=job)
        assert webhook_deliver(agency=agency_a, delivery_id=delivery.pk) is None
        assert webhook_deliver(agency=agency_a, delivery_id=delivery.pk) is None  # a duplicate message: no POST
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert len(receiver.calls) == 1
    headers, body = receiver.calls[0]
    assert (
        headers["x-tramontane-signature"]
        == "sha256=" + hmac.new(b"a-secret-0123456789", body, hashlib.sha256).hexdigest()
    )
    assert headers["idempotency-key"] == delivery.idempotency_key
    assert json.loads(body)["agency"] == agency_a.slug
    with agency_scope(agency_b):
        assert not WebhookDelivery.objects.exists()


def test_failed_delivery_is_retried_with_backoff(agency_a, llm, settings, allow_local_webhooks) -> None:
    settings.TRAMONTANE_WEBHOOK_TIMEOUT_SECONDS = 1
    with agency_scope(agency_a):
        Webhook.objects.create(agency=agency_a, url="http://127.0.0.1:9/unreachable", secret="s" * 20)
    job = _job(agency_a, llm)
    with agency_scope(agency_a):
        delivery = WebhookDelivery.objects.get(job=job)
        first = webhook_deliver(agency=agency_a, delivery_id=delivery.pk)
        assert first == 10
        assert webhook_deliver(agency=agency_a, delivery_id=delivery.pk) is None  # not due yet: nothing sent
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        assert webhook_deliver(agency=agency_a, delivery_id=delivery.pk) == 20
        delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.status == DeliveryStatus.PENDING and delivery.last_error


def test_a_task_cannot_touch_another_agencys_chunk(agency_a, agency_b, llm) -> None:
    job = _job(agency_a, llm)
    with agency_scope(agency_a):
        chunk_id = JobChunk.objects.filter(job=job).values_list("pk", flat=True).first()
    with agency_scope(agency_b), pytest.raises(JobChunk.DoesNotExist):
        chunk_process(agency=agency_b, chunk_id=chunk_id)
    with agency_scope(agency_b):
        assert not Job.objects.exists()


def test_prompts_are_in_the_documents_language(agency_a, llm) -> None:
    llm()
    document = upload(agency_a, long_text(3, language="fr").encode(), "r.md")
    with agency_scope(agency_a):
        job, _ = job_create(
            agency=agency_a,
            actor=Actor.system("t"),
            document=document,
            kind="summarise",
            params={"style": "bullets", "plain_language": True},
        )
    drive(agency_a, job.pk)
    system = llm.fake.requests_to("/ep1")[0].body["messages"][0]["content"]
    assert "Répondez en français" in system and "puces" in system and "langage clair" in system
