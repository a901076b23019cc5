"""Liveness and readiness, for load balancers and orchestrators. No authentication, no tenant data.

/healthz answers while the process runs. /readyz answers 200 only when the database and the Celery broker answer,
503 otherwise, naming the check that failed; it also reports the model endpoints' health (routing) as details,
which never make the instance unready: a web node without a model can still serve uploads and results.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

# A readiness probe must answer fast: bounded broker connection attempt.
BROKER_TIMEOUT_SECONDS = 3


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database(), "broker": check_broker()}
    failed = [name for name, check in checks.items() if not check["ok"]]
    body: dict[str, Any] = {
        "status": "unavailable" if failed else "ok",
        "failed": failed,
        "checks": checks,
    }
    endpoints = _endpoints_summary() if "database" not in failed else None
    if endpoints is not None:
        body["details"] = {"endpoints": endpoints}
    return JsonResponse(body, status=503 if failed else 200)


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        # Exception class only: messages may carry host names or credentials.
        logger.warning("readyz: database check failed: %s", exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def check_broker() -> dict[str, Any]:
    from config.celery import app

    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith("filesystem://"):
            _check_broker_folders()
        with app.connection_for_write(url=url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:
        logger.warning("readyz: broker check failed: %s", exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _check_broker_folders() -> None:
    """The filesystem broker 'connects' even to a missing folder; messages would then be lost, so check it."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out"):
        folder = Path(str(options[key]))
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise FileNotFoundError(f"Broker folder {key} is missing or not writable.")


def _endpoints_summary() -> dict[str, Any] | None:
    try:
        from routing.selectors import endpoints_health_summary
    except ImportError:
        return None
    try:
        summary: dict[str, Any] = endpoints_health_summary()
    except Exception as exc:
        # Details only: a routing bug must not turn readiness red nor hide the database/broker verdict.
        logger.warning("readyz: endpoint health summary failed: %s", exc)
        return {"error": type(exc).__name__}
    return summary
