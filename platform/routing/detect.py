"""Quick start: find an OpenAI-compatible server on this host and register it as an on-premises endpoint."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.db import transaction

from routing.models import Endpoint, EndpointHealth, HealthStatus, Kind

logger = logging.getLogger(__name__)
RUNTIMES = {11434: "ollama", 8080: "llamacpp", 8000: "vllm"}
# Ollama's default context is small and it truncates longer prompts silently: plan for its default.
DEFAULT_CONTEXT = {"ollama": 2048}
FALLBACK_CONTEXT = 4096


def _get_json(url: str, timeout: float) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - fixed http://127.0.0.1 URLs
        return json.loads(response.read().decode())


def _context_window(base: str, runtime: str, model: dict[str, Any], timeout: float) -> int:
    if isinstance(model.get("max_model_len"), int):  # vLLM
        return int(model["max_model_len"])
    if runtime in DEFAULT_CONTEXT:
        return DEFAULT_CONTEXT[runtime]
    try:  # llama.cpp reports the context it was started with
        props = _get_json(f"{base}/props", timeout)
        n_ctx = props.get("default_generation_settings", {}).get("n_ctx")
        if isinstance(n_ctx, int) and n_ctx > 0:
            return n_ctx
    except (OSError, ValueError, urllib.error.URLError):
        pass
    return FALLBACK_CONTEXT


def endpoint_detect_local(
    *,
    ports: tuple[int, ...] = (11434, 8080, 8000),
    host: str = "127.0.0.1",
    timeout: float = 2.0,
    jurisdiction: str | None = None,
    max_classification: str = "sensitive",
) -> list[Endpoint]:
    """Probe host:port/v1/models on each port; register (or refresh) what answers. Returns the endpoints found."""
    found = []
    for port in ports:
        base = f"http://{host}:{port}"
        try:
            listing = _get_json(f"{base}/v1/models", timeout)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            logger.info("No OpenAI-compatible server on %s: %s", base, exc)
            continue
        models = listing.get("data") if isinstance(listing, dict) else None
        if not isinstance(models, list) or not models or not isinstance(models[0], dict):
            continue
        runtime = RUNTIMES.get(port, "local")
        found.append(
            _register(
                name=f"local-{runtime}-{port}",
                base_url=f"{base}/v1",
                model=str(models[0].get("id", "")),
                context_window=_context_window(base, runtime, models[0], timeout),
                jurisdiction=jurisdiction or str(getattr(settings, "ROUTING_LOCAL_JURISDICTION", "FR")),
                max_classification=max_classification,
            )
        )
    return found


def _register(
    *, name: str, base_url: str, model: str, context_window: int, jurisdiction: str, max_classification: str
) -> Endpoint:
    with transaction.atomic():
        endpoint, _ = Endpoint.objects.update_or_create(
            name=name,
            defaults={
                "kind": Kind.OPENAI_COMPATIBLE,
                "base_url": base_url,
                "model": model,
                "auth": "none",
                "hosting": "on_premises",
                "jurisdiction": jurisdiction.upper(),
                "region": "",
                "deployment_type": "",
                "max_classification": max_classification,
                "capabilities": ["summarise", "translate", "chat"],
                "languages": [],
                "context_window": context_window,
                "max_output_tokens": min(2048, max(256, context_window // 4)),
                "max_concurrency": 2,
                "enabled": True,
            },
        )
        EndpointHealth.objects.update_or_create(endpoint=endpoint, defaults={"status": HealthStatus.OK})
    return endpoint
