"""/healthz and /readyz: no authentication, no tenant data; readyz names the dependency that failed."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import override_settings

from web import health

# Port 1 on loopback: nothing listens there, so the connection is refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_ok_when_database_and_broker_answer(client) -> None:
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"] == {"ok": True}


@pytest.mark.django_db
def test_readyz_503_names_the_broker_when_it_is_down(client) -> None:
    with override_settings(CELERY_BROKER_URL=DEAD_REDIS, CELERY_BROKER_TRANSPORT_OPTIONS={}):
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"] == {"ok": True}
    # Never the URL: it may hold a password.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_503_when_filesystem_broker_folder_is_missing(client, tmp_path) -> None:
    missing = tmp_path / "gone"
    options = {"data_folder_in": str(missing), "data_folder_out": str(missing)}
    with override_settings(CELERY_BROKER_URL="filesystem://", CELERY_BROKER_TRANSPORT_OPTIONS=options):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


@pytest.mark.django_db
def test_readyz_ok_with_filesystem_broker(client, tmp_path) -> None:
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    with override_settings(CELERY_BROKER_URL="filesystem://", CELERY_BROKER_TRANSPORT_OPTIONS=options):
        response = client.get("/readyz")
    assert response.status_code == 200, response.json()


@pytest.mark.django_db
def test_readyz_503_names_the_database_when_it_fails(client, monkeypatch) -> None:
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["failed"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["broker"] == {"ok": True}


@pytest.mark.django_db
def test_readyz_includes_endpoint_health_summary(client) -> None:
    from routing.selectors import endpoints_health_summary

    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["details"]["endpoints"] == endpoints_health_summary()


@pytest.mark.django_db
def test_readyz_endpoint_summary_failure_does_not_hide_readiness(client, monkeypatch) -> None:
    import routing.selectors

    def boom():
        raise RuntimeError("routing bug")

    monkeypatch.setattr(routing.selectors, "endpoints_health_summary", boom)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["details"]["endpoints"] == {"error": "RuntimeError"}
