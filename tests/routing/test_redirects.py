"""An allowed endpoint that answers with a redirect must not carry the request anywhere else.

The openai SDK follows redirects by default (307/308 re-send the body): a redirect from an approved address to an
unapproved one would move the prompt outside the agency's policy. Real HTTP: a redirector in front of a second fake
server that stands for "somewhere the policy does not allow".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from routing.errors import EndpointMisconfigured
from routing.models import EndpointHealth
from routing.probe import endpoint_probe
from routing.services import completion_create, job_route
from tests.routing.helpers import MESSAGES, make_endpoint, task
from tests.support.fake_llm import FakeLLM

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def outside() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def redirector(outside: FakeLLM) -> Iterator[str]:
    class Redirect(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _redirect(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(307)
            self.send_header("location", f"{outside.url}{self.path}")
            self.send_header("content-length", "0")
            self.end_headers()

        do_GET = _redirect
        do_POST = _redirect

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_redirect_is_not_followed_and_fails_over_inside_policy(agency_a, fake_llm, outside, redirector, fast_retries):
    make_endpoint(redirector, "a-redirects", base_url=f"{redirector}/a-redirects/v1")
    make_endpoint(fake_llm.url, "b-allowed")
    decision = job_route(agency=agency_a, task=task())
    result = completion_create(agency=agency_a, decision=decision, messages=MESSAGES, max_tokens=50)
    assert result.endpoint_name == "b-allowed"
    assert outside.requests == []  # the prompt never reached the redirect target
    health = EndpointHealth.objects.get(endpoint__name="a-redirects")
    assert health.misconfigured and "redirect" in health.last_error


def test_redirect_alone_is_refused_without_leaving(agency_a, outside, redirector, fast_retries):
    make_endpoint(redirector, "only", base_url=f"{redirector}/only/v1")
    decision = job_route(agency=agency_a, task=task())
    with pytest.raises(EndpointMisconfigured) as excinfo:
        completion_create(agency=agency_a, decision=decision, messages=MESSAGES, max_tokens=50)
    assert "base_url" in excinfo.value.message
    assert outside.requests == []


def test_probe_does_not_follow_redirects(outside, redirector, fast_retries):
    endpoint = make_endpoint(redirector, "probed", base_url=f"{redirector}/probed/v1")
    assert endpoint_probe(endpoint=endpoint).status == "misconfigured"
    assert outside.requests == []
