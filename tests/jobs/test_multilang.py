"""Translation into several target languages in one job: per-language results, progress, usage, glossary, digests,
downloads (API and pages), idempotency and isolation."""

from __future__ import annotations

import hashlib
import io

import pytest

from audit.actors import Actor
from audit.models import AuditEvent
from jobs.models import ChunkStatus, Job, JobChunk, JobStatus, UsageRecord
from jobs.results import combined_markdown
from jobs.services import glossary_entry_save, job_create
from tenants.models import Role
from tenants.scope import agency_scope
from tests.jobs.conftest import MARK, drive, long_text, upload

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Tramontane-123"
TAG = {"en": "EN", "de": "GE", "it": "IT", "es": "SP"}  # the fake model tags with the language name's first letters


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _glossary(agency, target: str, term: str) -> None:
    with agency_scope(agency):
        glossary_entry_save(
            agency=agency,
            actor=Actor.system("tests"),
            source_language="fr",
            target_language=target,
            source_term="ministère",
            target_term=term,
        )


def _translate(agency, document, **params) -> Job:
    with agency_scope(agency):
        job, _ = job_create(
            agency=agency, actor=Actor.system("tests"), document=document, kind="translate", params=params
        )
    return job


def test_two_languages_each_complete_in_order_with_their_glossary(agency_a, llm) -> None:
    llm(context_window=1200, max_output_tokens=400)
    _glossary(agency_a, "en", "Ministry of State")
    _glossary(agency_a, "de", "Staatsministerium")
    document = upload(agency_a, long_text(40, language="fr").encode(), "rapport.md")
    job = drive(agency_a, _translate(agency_a, document, target_languages=["en", "de"]).pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.params["target_languages"] == ["en", "de"]
    assert job.params["languages"] == ["fr", "en", "de"]
    assert set(job.results) == {"en", "de"} == set(job.result_digests)
    for code, term, other in (
        ("en", "Ministry of State", "Staatsministerium"),
        ("de", "Staatsministerium", "Ministry"),
    ):
        text = job.results[code]
        assert MARK.findall(text) == [f"MARK{n:04d}" for n in range(40)]  # every block, once, in order
        assert text.startswith(f"# [{TAG[code]}] Report")
        assert f"[{TAG['de' if code == 'en' else 'en']}]" not in text  # no part of the other language slipped in
        assert term in text and other not in text and "ministère" not in text.lower()
        assert job.result_digests[code] == _sha(text)
    # result_sha256 is the digest of the canonical combined output, which result_markdown holds
    assert job.result_markdown == combined_markdown(job.results, ["en", "de"])
    assert job.result_markdown.startswith("<!-- tramontane:language=en -->\n\n# [EN] Report")
    assert "\n\n<!-- tramontane:language=de -->\n\n# [GE] Report" in job.result_markdown
    assert job.result_sha256 == _sha(job.result_markdown)
    with agency_scope(agency_a):
        per_language = {
            code: JobChunk.objects.filter(job=job, level=0, language=code).exclude(status=ChunkStatus.SPLIT).count()
            for code in ("en", "de")
        }
        done = JobChunk.objects.filter(job=job, status=ChunkStatus.DONE).count()
        assert UsageRecord.objects.filter(job=job).count() == done
        succeeded = AuditEvent.objects.get(action="job.succeeded", target_id=str(job.pk))
    assert per_language["en"] == per_language["de"] > 1
    assert job.progress_total == job.progress_done == done == 2 * per_language["en"]
    assert succeeded.details["result_sha256"] == job.result_sha256
    assert succeeded.details["language_result_sha256"] == job.result_digests
    # each request carried only its own pair's glossary
    prompts = [r.body["messages"][0]["content"] for r in llm.fake.requests_to("/ep1")]
    into_en = [p for p in prompts if "into English" in p]
    into_de = [p for p in prompts if "into German" in p]
    assert len(into_en) == len(into_de) == per_language["en"]
    assert all("=> Ministry of State" in p and "Staatsministerium" not in p for p in into_en)
    assert all("=> Staatsministerium" in p and "Ministry of State" not in p for p in into_de)


def test_single_language_result_is_unchanged(agency_a, llm) -> None:
    llm()
    document = upload(agency_a, long_text(5, language="fr").encode(), "r.md")
    job = drive(agency_a, _translate(agency_a, document, target_language="en").pk)
    assert job.status == JobStatus.SUCCEEDED
    assert job.params == {
        "target_language": "en",
        "source_language": "auto",
        "use_glossary": True,
        "languages": ["fr", "en"],
        "glossary": {"en": []},
    }
    assert "tramontane:language" not in job.result_markdown
    assert job.results == {"en": job.result_markdown}
    assert job.result_sha256 == _sha(job.result_markdown) == job.result_digests["en"]


def test_api_create_progress_and_per_language_downloads(agency_a, agency_b, llm, key_client) -> None:
    llm(context_window=1200, max_output_tokens=400)
    document = upload(agency_a, long_text(20, language="fr").encode(), "r.md")
    client = key_client(agency_a)
    created = client.post(
        "/api/v1/jobs",
        {"document": document.pk, "kind": "translate", "target_languages": ["de", "en"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="multi-1",
    )
    assert created.status_code == 202, created.content
    assert created.json()["target_languages"] == ["de", "en"]
    job_id = created.json()["id"]
    replay = client.post(
        "/api/v1/jobs",
        {"document": document.pk, "kind": "translate", "target_languages": ["de", "en"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="multi-1",
    )
    assert replay.json()["id"] == job_id and replay["Idempotent-Replayed"] == "true"
    different = client.post(
        "/api/v1/jobs",
        {"document": document.pk, "kind": "translate", "target_languages": ["de", "it"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="multi-1",
    )
    assert different.status_code == 422
    drive(agency_a, job_id)
    body = client.get(f"/api/v1/jobs/{job_id}").json()
    assert body["status"] == "succeeded"
    assert "glossary" not in body["params"] and "languages" not in body["params"]
    assert body["progress"]["done"] == body["progress"]["total"] > 2
    assert set(body["results"]) == {"de", "en"}
    with agency_scope(agency_a):
        job = Job.objects.get(pk=job_id)
    for code in ("de", "en"):
        entry = body["results"][code]
        assert entry["sha256"] == job.result_digests[code]
        md = client.get(entry["urls"]["md"])
        assert md.status_code == 200 and md.content.decode() == job.results[code]
        assert hashlib.sha256(md.content).hexdigest() == entry["sha256"]
        assert f"-{code}.md" in md["Content-Disposition"]
        txt = client.get(f"/api/v1/jobs/{job_id}/result?format=txt&language={code}").content.decode()
        assert f"[{TAG[code]}] Report" in txt and f"[{TAG['en' if code == 'de' else 'de']}]" not in txt
        docx_bytes = client.get(f"/api/v1/jobs/{job_id}/result?format=docx&language={code}").content
        import docx

        paragraphs = [p.text for p in docx.Document(io.BytesIO(docx_bytes)).paragraphs]
        assert MARK.findall(" ".join(paragraphs)) == [f"MARK{n:04d}" for n in range(20)]
    combined = client.get(f"/api/v1/jobs/{job_id}/result?format=md")
    assert hashlib.sha256(combined.content).hexdigest() == body["result_sha256"] == job.result_sha256
    txt = client.get(f"/api/v1/jobs/{job_id}/result?format=txt").content.decode()
    assert txt.index("=== German (de) ===") < txt.index("=== English (en) ===")
    bad = client.get(f"/api/v1/jobs/{job_id}/result?format=md&language=it")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_language"
    assert "de, en" in bad.json()["error"]["message"]
    with agency_scope(agency_a):
        downloads = list(AuditEvent.objects.filter(action="result.downloaded").values_list("details", flat=True))
    assert {"format": "md", "language": "de"}.items() <= downloads[0].items()
    assert downloads[0]["result_sha256"] == job.result_digests["de"]
    # another agency: 404 for every language
    other = key_client(agency_b)
    assert other.get(f"/api/v1/jobs/{job_id}/result?format=md&language=de").status_code == 404


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"target_languages": ["fr", "xx"]}, "unsupported_language"),
        ({"target_languages": "not-a-list-of-codes-%"}, "unsupported_language"),
        ({"target_languages": {"fr": 1}}, "invalid_target_languages"),
        ({"target_language": "it", "target_languages": ["fr", "de"]}, "conflicting_target_languages"),
        ({"target_languages": ["fr", "en"], "source_language": "en"}, "same_language"),
        ({}, "unsupported_language"),
    ],
)
def test_bad_target_languages_are_400_saying_what_to_do(agency_a, key_client, params, code) -> None:
    document = upload(agency_a, long_text(3).encode(), "r.md")
    response = key_client(agency_a).post(
        "/api/v1/jobs", {"document": document.pk, "kind": "translate", **params}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert len(response.json()["error"]["message"]) > 30
    with agency_scope(agency_a):
        assert not Job.objects.exists()


def test_one_target_in_the_list_is_the_same_request_as_target_language(agency_a, key_client) -> None:
    document = upload(agency_a, long_text(3).encode(), "r.md")
    client = key_client(agency_a)
    first = client.post(
        "/api/v1/jobs",
        {"document": document.pk, "kind": "translate", "target_language": "de"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    second = client.post(
        "/api/v1/jobs",
        {"document": document.pk, "kind": "translate", "target_languages": ["de"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]


def test_page_form_picks_several_languages_and_downloads_each(client, agency_a, member_a, viewer_a, llm) -> None:
    llm()
    document = upload(agency_a, long_text(5, language="fr").encode(), "r.md")
    client.login(username="member-a", password=PASSWORD)
    base = f"/a/{agency_a.slug}"
    form = client.get(base + "/jobs/new/").content.decode()
    assert 'type="checkbox" name="target_languages"' in form and "<legend>" in form
    created = client.post(
        base + "/jobs/new/",
        {"document": document.pk, "kind": "translate", "target_languages": ["it", "es"], "source_language": "auto"},
    )
    assert created.status_code == 302
    with agency_scope(agency_a):
        job = Job.objects.get()
    assert job.params["target_languages"] == ["it", "es"]
    drive(agency_a, job.pk)
    client.logout()
    client.login(username="viewer-a", password=PASSWORD)
    page = client.get(base + f"/jobs/{job.pk}/").content.decode()
    assert 'id="result-it"' in page and 'id="result-es"' in page
    assert f"/jobs/{job.pk}/download/docx/?language=es" in page
    it = client.get(base + f"/jobs/{job.pk}/download/md/?language=it")
    assert it.status_code == 200 and it.content.decode().startswith("# [IT] Report")
    assert client.get(base + f"/jobs/{job.pk}/download/md/?language=de").status_code == 404


def test_old_single_language_form_post_still_works(client, agency_a, member_a) -> None:
    document = upload(agency_a, long_text(3).encode(), "r.md")
    client.login(username="member-a", password=PASSWORD)
    response = client.post(
        f"/a/{agency_a.slug}/jobs/new/",
        {"document": document.pk, "kind": "translate", "target_language": "de", "source_language": "auto"},
    )
    assert response.status_code == 302
    with agency_scope(agency_a):
        assert Job.objects.get().params["target_language"] == "de"


def test_viewer_role_cannot_create_a_multi_language_job(agency_a, key_client) -> None:
    document = upload(agency_a, long_text(3).encode(), "r.md")
    response = key_client(agency_a, Role.VIEWER).post(
        "/api/v1/jobs", {"document": document.pk, "kind": "translate", "target_languages": ["fr", "de"]}, format="json"
    )
    assert response.status_code == 403


def test_glossary_is_read_once_per_job_and_stays_consistent(agency_a, llm) -> None:
    """Terms changed while a job runs do not mix two terminologies in one translation."""
    llm(context_window=1200, max_output_tokens=400)
    _glossary(agency_a, "en", "Ministry of State")
    document = upload(agency_a, long_text(30, language="fr").encode(), "r.md")
    job = _translate(agency_a, document, target_languages=["en", "de"])
    changed = []

    def change_term(chunk):
        if not changed:
            changed.append(chunk.pk)
            _glossary(agency_a, "en", "Department")

    job = drive(agency_a, job.pk, before_chunk=change_term)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    assert job.results["en"].count("Ministry of State") == 60 and "Department" not in job.results["en"]
    assert job.params["glossary"] == {"en": [["ministère", "Ministry of State"]], "de": []}
    assert "glossary" not in str(job.params.get("languages"))
