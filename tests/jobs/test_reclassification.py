"""A document raised to a higher classification while its job runs stops going where the old level was allowed."""

from __future__ import annotations

import pytest

from audit.actors import Actor
from documents.models import Document
from jobs.models import JobStatus
from jobs.services import job_create
from tenants.scope import agency_scope
from tests.jobs.conftest import drive, long_text, upload

pytestmark = pytest.mark.django_db


def test_raising_the_classification_mid_job_stops_model_calls(agency_a, agency_b, llm) -> None:
    llm()
    fake = llm.fake
    document = upload(agency_a, long_text(40).encode(), "report.md")
    with agency_scope(agency_a):
        job, _ = job_create(
            agency=agency_a, actor=Actor.system("tests"), document=document, kind="summarise", params={}
        )
    sent_after_raise: list[int] = []

    def raise_level(chunk) -> None:
        if not sent_after_raise:
            # The default policy has no rule for "restricted": from now on nothing may leave for any model.
            Document.objects.filter(pk=document.pk).update(classification="restricted")
            sent_after_raise.append(len(fake.requests))

    job = drive(agency_a, job.pk, before_chunk=raise_level)
    assert sent_after_raise, "the job never reached a model call"
    assert len(fake.requests) == sent_after_raise[0], "a request left after the document was raised"
    assert job.status == JobStatus.FAILED
    assert job.error_message
