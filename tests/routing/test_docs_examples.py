"""docs/models.md stays true: its endpoint recipes load, and its worked policies route as the text says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from audit.actors import Actor
from routing.models import Endpoint
from routing.services import job_route, policy_update
from tests.routing.helpers import task

DOC = (Path(__file__).resolve().parents[2] / "docs" / "models.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.S)


@pytest.fixture
def recipes(db, tmp_path):
    path = tmp_path / "endpoints.yaml"
    path.write_text(_blocks("yaml")[0])
    call_command("loadendpoints", str(path))
    assert Endpoint.objects.count() == 8


def _policy(index: int) -> dict:
    return json.loads(_blocks("json")[index])


def test_ministry_example(recipes, agency_a):
    policy = _policy(1)
    policy_update(agency=agency_a, actor=Actor.system("t"), **policy)
    sensitive = job_route(agency=agency_a, task=task(classification="sensitive"))
    assert [c.name for c in sensitive.candidates] == ["vllm-ministere"]
    internal = job_route(agency=agency_a, task=task(classification="internal"))
    assert {c.name for c in internal.candidates} <= {"vllm-ministere", "ollama-mairie", "llamacpp-lab"}
    assert "tgi-de" in internal.record["excluded"]
    assert not job_route(agency=agency_a, task=task(classification="restricted")).allowed
    Endpoint.objects.filter(name="vllm-ministere").update(enabled=False)
    refused = job_route(agency=agency_a, task=task(classification="sensitive"))
    assert not refused.allowed and not refused.degraded


def test_city_example(recipes, agency_a):
    policy_update(agency=agency_a, actor=Actor.system("t"), **_policy(2))
    internal = job_route(agency=agency_a, task=task(classification="internal"))
    assert [c.name for c in internal.candidates] == ["azure-large3-dz-eu", "ollama-mairie"]
    public = job_route(agency=agency_a, task=task(classification="public"))
    assert "processing location 'global' not allowed" in public.record["excluded"]["azure-mistral-large-serverless"]
    sensitive = job_route(agency=agency_a, task=task(classification="sensitive"))
    assert all(c.hosting == "on_premises" for c in sensitive.candidates)
