"""Each endpoint kind gets the right client: URL, auth header, api-version."""

from __future__ import annotations

import pytest

from routing.client import normalise_messages
from routing.services import completion_create, job_route
from tests.routing.helpers import MESSAGES, make_endpoint, task

pytestmark = pytest.mark.django_db(transaction=True)


def _send_one(agency, fake_llm):
    decision = job_route(agency=agency, task=task())
    completion_create(agency=agency, decision=decision, messages=MESSAGES, max_tokens=50)
    (sent,) = fake_llm.requests
    return sent


def test_azure_serverless_bearer_no_version(agency_a, fake_llm, fast_retries, monkeypatch):
    monkeypatch.setenv("AZ_KEY", "k-serverless")
    make_endpoint(fake_llm.url, "mistral-large", kind="azure_serverless", secret_env="AZ_KEY", hosting="on_premises")
    sent = _send_one(agency_a, fake_llm)
    assert sent.path == "/mistral-large/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer k-serverless" and "api-version" not in sent.query


def test_azure_ai_inference_api_key_and_version(agency_a, fake_llm, fast_retries, monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("k-inference\n")
    make_endpoint(
        fake_llm.url,
        "foundry",
        kind="azure_ai_inference",
        base_url=f"{fake_llm.url}/foundry/models",
        secret_file=str(secret),
        model="Mistral-Large-2411",
    )
    sent = _send_one(agency_a, fake_llm)
    assert sent.path == "/foundry/models/chat/completions"
    assert sent.query["api-version"] == "2024-05-01-preview"
    assert sent.headers["api-key"] == "k-inference"
    assert sent.body["model"] == "Mistral-Large-2411"


def test_azure_openai_classic_deployment_in_path(agency_a, fake_llm, fast_retries, monkeypatch):
    monkeypatch.setenv("AOAI_KEY", "k-classic")
    make_endpoint(
        fake_llm.url,
        "aoai",
        kind="azure_openai",
        base_url=f"{fake_llm.url}/aoai",
        api_version="2024-10-21",
        secret_env="AOAI_KEY",
        model="mistral-deploy",
    )
    sent = _send_one(agency_a, fake_llm)
    assert sent.path == "/aoai/openai/deployments/mistral-deploy/chat/completions"
    assert sent.query["api-version"] == "2024-10-21" and sent.headers["api-key"] == "k-classic"


def test_azure_openai_v1_bearer(agency_a, fake_llm, fast_retries, monkeypatch):
    monkeypatch.setenv("AOAI_KEY", "k-v1")
    make_endpoint(
        fake_llm.url,
        "aoai1",
        kind="azure_openai",
        base_url=f"{fake_llm.url}/aoai1/openai/v1/",
        secret_env="AOAI_KEY",
        model="mistral-deploy",
    )
    sent = _send_one(agency_a, fake_llm)
    assert sent.path == "/aoai1/openai/v1/chat/completions" and "api-version" not in sent.query
    assert sent.headers["authorization"] == "Bearer k-v1"


def test_normalise_merges_and_keeps_system_when_supported():
    assert normalise_messages(MESSAGES, system_role=True) == [
        {"role": "system", "content": "Summarise in French."},
        {"role": "user", "content": "Premier paragraphe.\n\nSecond paragraphe."},
    ]
    only_system = [{"role": "system", "content": "S"}]
    assert normalise_messages(only_system, system_role=False) == [{"role": "user", "content": "S"}]
    dialogue = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "u1"},
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": "u2"},
    ]
    assert normalise_messages(dialogue, system_role=False) == [
        {"role": "user", "content": "S\n\nu1"},
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": "u2"},
    ]
