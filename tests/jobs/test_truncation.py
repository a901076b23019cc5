"""An answer cut at the output limit (finish_reason "length") is never kept: the part is split and re-run, or the
job fails saying why. Nothing is silently truncated."""

from __future__ import annotations

import pytest

from audit.actors import Actor
from jobs.models import ChunkStatus, JobChunk, JobStatus, UsageRecord
from jobs.services import job_create
from tenants.scope import agency_scope
from tests.jobs.conftest import MARK, drive, long_text, marker_reply, upload

pytestmark = pytest.mark.django_db


def _create(agency, document, kind="summarise", **params):
    with agency_scope(agency):
        job, _ = job_create(agency=agency, actor=Actor.system("tests"), document=document, kind=kind, params=params)
    return job


def _cut_answers(fake, count: int) -> list[str]:
    """What the fake returned for the first `count` requests (the ones scripted to be cut)."""
    bodies = [r.body for r in fake.requests_to("/ep1")[:count]]
    return [marker_reply(body)[: max(1, len(marker_reply(body)) // 2)] for body in bodies]


def test_fake_server_really_cuts_the_answer(agency_a, llm) -> None:
    """The fixture itself: finish_reason "length" with a prefix of the normal answer (so the test below can fail)."""
    from routing.gateway import TaskSpec
    from routing.services import completion_create, job_route

    llm()
    llm.fake.script("/ep1", "length")
    with agency_scope(agency_a):
        decision = job_route(
            agency=agency_a,
            task=TaskSpec(
                kind="summarise", languages=("en",), input_tokens=50, output_tokens=50, classification="internal"
            ),
        )
        messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "MARK0001 MARK0002 MARK0003"}]
        cut = completion_create(agency=agency_a, decision=decision, messages=messages, max_tokens=50)
        full = completion_create(agency=agency_a, decision=decision, messages=messages, max_tokens=50)
    assert cut.finish_reason == "length" and full.finish_reason == "stop"
    assert full.text.startswith(cut.text) and len(cut.text) < len(full.text)


def test_summary_part_cut_by_length_is_split_and_rerun(agency_a, llm) -> None:
    llm(context_window=1500, max_output_tokens=300)
    llm.fake.script("/ep1", "length")  # the first answer is cut at the output limit
    document = upload(agency_a, long_text(30).encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document).pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    (cut,) = _cut_answers(llm.fake, 1)
    with agency_scope(agency_a):
        split = JobChunk.objects.filter(job=job, status=ChunkStatus.SPLIT)
        assert split.count() == 1 and split.get().result == ""  # the cut answer was not stored
        results = list(JobChunk.objects.filter(job=job, status=ChunkStatus.DONE).values_list("result", flat=True))
        assert UsageRecord.objects.filter(job=job).count() == len(results)
    assert cut not in results
    # every one of the 30 markers went through exactly one complete map and the reduce
    assert "SUMMARY R0-29:30" in job.result_markdown


def test_translation_part_cut_by_length_loses_nothing(agency_a, llm) -> None:
    llm(context_window=1200, max_output_tokens=400)
    llm.fake.script("/ep1", "length", "length")
    document = upload(agency_a, long_text(30, language="fr").encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document, "translate", target_language="en").pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    with agency_scope(agency_a):
        assert JobChunk.objects.filter(job=job, status=ChunkStatus.SPLIT).count() >= 1
    # had a cut answer been kept, the markers after the cut would be missing: every one is there, once, in order
    cut_markers = [MARK.findall(cut) for cut in _cut_answers(llm.fake, 2)]
    assert all(len(markers) < 30 for markers in cut_markers)
    assert MARK.findall(job.result_markdown) == [f"MARK{n:04d}" for n in range(30)]
    assert job.progress_done == job.progress_total


def test_answers_always_cut_fail_the_job_instead_of_truncating(agency_a, llm) -> None:
    llm(context_window=1200, max_output_tokens=300)
    llm.fake.script("/ep1", *["length"] * 300)
    document = upload(agency_a, long_text(10).encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document).pk, max_rounds=200)
    assert job.status == JobStatus.FAILED
    assert job.error_code == "context_overflow"
    assert "larger context" in job.error_message
    assert job.result_markdown == "" and job.result_sha256 == ""


def test_multi_language_part_cut_by_length_loses_nothing_in_any_language(agency_a, llm) -> None:
    llm(context_window=1200, max_output_tokens=400)
    llm.fake.script("/ep1", "ok", "length")  # the second request (another part, or another language) is cut
    document = upload(agency_a, long_text(20, language="fr").encode(), "r.md")
    job = drive(agency_a, _create(agency_a, document, "translate", target_languages=["en", "it"]).pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    with agency_scope(agency_a):
        assert JobChunk.objects.filter(job=job, status=ChunkStatus.SPLIT).count() == 1
    for code in ("en", "it"):
        assert MARK.findall(job.results[code]) == [f"MARK{n:04d}" for n in range(20)]
    assert job.progress_done == job.progress_total
