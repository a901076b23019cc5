"""Webhook URLs cannot reach internal addresses (SSRF): refused on save and re-checked at every delivery."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from audit.actors import Actor
from audit.models import AuditEvent
from jobs import webhook_urls
from jobs.models import DeliveryStatus, Webhook, WebhookDelivery
from jobs.services import job_create, webhook_deliver, webhook_save
from jobs.webhook_urls import WebhookUrlRefused, webhook_url_check
from tenants.scope import agency_scope
from tests.jobs.conftest import drive, long_text, upload
from tests.jobs.test_workers import Receiver

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Tramontane-123"
PUBLIC = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch):
    """Fake DNS answers for named hosts (numeric hosts still resolve through the real resolver)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in answers:
            if not answers[host]:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            family = {True: socket.AF_INET6, False: socket.AF_INET}
            return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(webhook_urls, "_getaddrinfo", fake)
    return answers


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://127.0.0.1/hook", "internal_address"),
        ("https://localhost/hook", "internal_address"),
        ("https://2130706433/hook", "internal_address"),  # 127.0.0.1 written as a number
        ("https://10.1.2.3/hook", "internal_address"),
        ("https://172.16.5.4/hook", "internal_address"),
        ("https://192.168.1.10/hook", "internal_address"),
        ("https://169.254.169.254/latest/meta-data", "internal_address"),  # cloud metadata (link-local)
        ("https://224.0.0.1/hook", "internal_address"),  # multicast
        ("https://240.0.0.1/hook", "internal_address"),  # reserved
        ("https://0.0.0.0/hook", "internal_address"),  # unspecified
        ("https://100.64.0.1/hook", "internal_address"),  # shared address space (not global)
        ("https://[::1]/hook", "internal_address"),
        ("https://[fe80::1]/hook", "internal_address"),
        ("https://[fc00::5]/hook", "internal_address"),
        ("https://[::ffff:127.0.0.1]/hook", "internal_address"),  # IPv4-mapped loopback
        ("https://rebind.example/hook", "internal_address"),  # a name resolving to a private address
        ("https://mixed.example/hook", "internal_address"),  # one public and one private address
        ("http://hooks.example/hook", "https_required"),
        ("ftp://hooks.example/hook", "unsupported_scheme"),
        ("file:///etc/passwd", "unsupported_scheme"),
        ("gopher://hooks.example:70/_x", "unsupported_scheme"),
        ("https://user:secret@hooks.example/hook", "credentials_in_url"),
        ("https://user@hooks.example/hook", "credentials_in_url"),
        ("https:///hook", "invalid_url"),
        ("https://hooks.example:99999/hook", "invalid_url"),
    ],
)
def test_internal_or_unsafe_urls_are_refused_on_save(agency_a, dns, url, code) -> None:
    dns.update(
        {
            "hooks.example": [PUBLIC],
            "rebind.example": ["10.0.0.7"],
            "mixed.example": [PUBLIC, "192.168.0.3"],
            "nowhere.example": [],
        }
    )
    with agency_scope(agency_a), pytest.raises(WebhookUrlRefused) as refused:
        webhook_save(agency=agency_a, actor=Actor.system("t"), url=url, secret="s" * 20)
    assert refused.value.code == code
    assert len(refused.value.message) > 40  # says what to do
    with agency_scope(agency_a):
        assert not Webhook.objects.exists()
        assert not AuditEvent.objects.filter(action="webhook.saved").exists()


def test_public_https_is_accepted_and_http_only_when_the_operator_allows_it(agency_a, dns, settings) -> None:
    dns["hooks.example"] = [PUBLIC]
    with agency_scope(agency_a):
        hook = webhook_save(
            agency=agency_a, actor=Actor.system("t"), url="https://hooks.example/t?x=1", secret="s" * 20
        )
    assert webhook_url_check(hook.url).address == PUBLIC
    assert webhook_url_check(hook.url).path == "/t?x=1"
    settings.TRAMONTANE_WEBHOOK_ALLOW_HTTP = True
    assert webhook_url_check("http://hooks.example/t").port == 80
    # allowing HTTP does not open internal addresses
    with pytest.raises(WebhookUrlRefused) as refused:
        webhook_url_check("http://127.0.0.1:8080/t")
    assert refused.value.code == "internal_address"


def test_allowlisted_host_is_exempt_but_only_that_host(settings) -> None:
    settings.TRAMONTANE_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert webhook_url_check("http://127.0.0.1:8080/hook").address == "127.0.0.1"
    for url in ("http://10.0.0.1/hook", "https://[::1]/hook", "http://localhost/hook"):
        with pytest.raises(WebhookUrlRefused):
            webhook_url_check(url)
    with pytest.raises(WebhookUrlRefused) as refused:
        webhook_url_check("https://user:pw@127.0.0.1/hook")  # credentials stay refused even for allowed hosts
    assert refused.value.code == "credentials_in_url"


def _succeeded_job(agency, llm):
    llm()
    document = upload(agency, long_text(3).encode(), "r.md")
    with agency_scope(agency):
        job, _ = job_create(agency=agency, actor=Actor.system("t"), document=document, kind="summarise", params={})
    return drive(agency, job.pk)


def test_unresolvable_host_is_saved_with_a_warning_and_refused_at_delivery(client, agency_a, admin_a, dns, llm) -> None:
    dns["nowhere.example"] = []
    client.login(username="admin-a", password=PASSWORD)
    response = client.post(
        f"/a/{agency_a.slug}/console/webhooks/",
        {"url": "https://nowhere.example/hook", "secret": "0123456789abcdef!"},
        follow=True,
    )
    assert response.status_code == 200
    assert "cannot be resolved right now" in response.content.decode()
    job = _succeeded_job(agency_a, llm)
    with agency_scope(agency_a):
        delivery = WebhookDelivery.objects.get(job=job)
        assert webhook_deliver(agency=agency_a, delivery_id=delivery.pk) == 10
        delivery.refresh_from_db()
    assert "unresolvable_host" in delivery.last_error and delivery.status == DeliveryStatus.PENDING


def test_dns_changed_to_internal_after_save_is_refused_at_delivery(agency_a, llm, dns, monkeypatch) -> None:
    dns["hooks.example"] = [PUBLIC]
    with agency_scope(agency_a):
        webhook_save(agency=agency_a, actor=Actor.system("t"), url="https://hooks.example/t", secret="s" * 20)
    job = _succeeded_job(agency_a, llm)
    dns["hooks.example"] = ["169.254.169.254"]  # DNS rebinding: now the cloud metadata service
    connects: list[object] = []
    monkeypatch.setattr(webhook_urls.socket, "create_connection", lambda *a, **k: connects.append(a))
    with agency_scope(agency_a):
        delivery = WebhookDelivery.objects.get(job=job)
        assert webhook_deliver(agency=agency_a, delivery_id=delivery.pk) == 10  # retried later, with backoff
        delivery.refresh_from_db()
    assert connects == []  # no connection was even attempted
    assert delivery.status == DeliveryStatus.PENDING and delivery.response_status is None
    assert "internal_address" in delivery.last_error and "169.254.169.254" in delivery.last_error


def test_delivery_connects_to_the_checked_address(agency_a, llm, dns, monkeypatch, allow_local_webhooks) -> None:
    """The address checked is the address used: no second lookup that a rebinding DNS could answer differently."""
    receiver = Receiver()
    try:
        port = receiver.server.server_address[1]
        allow_local_webhooks.TRAMONTANE_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "receiver.internal"]
        dns["receiver.internal"] = ["127.0.0.1"]
        with agency_scope(agency_a):
            webhook_save(
                agency=agency_a,
                actor=Actor.system("t"),
                url=f"http://receiver.internal:{port}/hook",
                secret="s" * 20,
            )
        job = _succeeded_job(agency_a, llm)
        with agency_scope(agency_a):
            delivery = WebhookDelivery.objects.get(job=job)
            assert webhook_deliver(agency=agency_a, delivery_id=delivery.pk) is None
            delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.DELIVERED
        assert len(receiver.calls) == 1
        assert receiver.calls[0][0]["host"] == f"receiver.internal:{port}"
    finally:
        receiver.close()


def test_redirects_are_not_followed(agency_a, llm, allow_local_webhooks) -> None:
    hits: list[str] = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(307)
            self.send_header("location", "http://169.254.169.254/latest/meta-data")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with agency_scope(agency_a):
            Webhook.objects.create(
                agency=agency_a, url=f"http://127.0.0.1:{server.server_address[1]}/hook", secret="s" * 20
            )
        job = _succeeded_job(agency_a, llm)
        with agency_scope(agency_a):
            delivery = WebhookDelivery.objects.get(job=job)
            assert webhook_deliver(agency=agency_a, delivery_id=delivery.pk) == 10
            delivery.refresh_from_db()
    finally:
        server.shutdown()
        server.server_close()
    assert hits == ["/hook"]
    assert delivery.response_status == 307 and "not followed" in delivery.last_error


def test_console_refuses_internal_url_with_a_clear_message(client, agency_a, admin_a) -> None:
    client.login(username="admin-a", password=PASSWORD)
    response = client.post(
        f"/a/{agency_a.slug}/console/webhooks/", {"url": "https://169.254.169.254/x", "secret": "0123456789abcdef!"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "internal address" in page and "public" in page
    with agency_scope(agency_a):
        assert not Webhook.objects.exists()
