from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from routing.detect import endpoint_detect_local
from routing.models import Endpoint
from routing.services import job_route
from tests.routing.helpers import task


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_detects_and_registers_idempotently(fake_llm, agency_a):
    port = urlsplit(fake_llm.url).port
    closed = _free_port()
    (endpoint,) = endpoint_detect_local(ports=(closed, port), timeout=1)
    assert endpoint.name == f"local-local-{port}" and endpoint.base_url == f"{fake_llm.url}/v1"
    assert endpoint.hosting == "on_premises" and endpoint.model == "fake-mistral" and endpoint.auth == "none"
    assert fake_llm.requests_to("/v1/models")
    endpoint_detect_local(ports=(port,), timeout=1)
    assert Endpoint.objects.filter(name__startswith="local-").count() == 1
    # the default policy routes internal data to it
    decision = job_route(agency=agency_a, task=task(input_tokens=100, output_tokens=100))
    assert decision.allowed and decision.chosen == endpoint.name


@pytest.mark.django_db
def test_command_without_server_keeps_builtin(capsys):
    call_command("detectendpoints", "--ports", str(_free_port()))
    assert "No local model server found" in capsys.readouterr().out
    assert Endpoint.objects.filter(kind="builtin_extractive").count() == 1
    assert not Endpoint.objects.filter(name__startswith="local-").exists()


@pytest.mark.django_db
def test_bad_ports_get_a_clear_error_and_change_nothing():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="comma-separated port numbers"):
        call_command("detectendpoints", "--ports", "ollama")
    assert not Endpoint.objects.exists()
