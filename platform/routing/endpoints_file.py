"""Infrastructure-as-code for endpoints: validate a YAML list and create/update endpoints from it (pure parsing
here; the write is routing.services.endpoints_load)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from routing.classification import LADDER
from routing.models import CAPABILITIES, AuthMode, DeploymentType, Hosting, Kind

CONTRACT_KEYS = (
    "name",
    "kind",
    "base_url",
    "model",
    "api_version",
    "secret_env",
    "hosting",
    "jurisdiction",
    "region",
    "deployment_type",
    "max_classification",
    "capabilities",
    "languages",
    "context_window",
    "max_output_tokens",
    "max_concurrency",
    "rpm",
    "tpm",
    "price_input_per_1k",
    "price_output_per_1k",
    "enabled",
)
EXTRA_KEYS = ("secret_file", "auth", "system_role")  # documented extensions
REQUIRED = ("name", "kind", "hosting", "jurisdiction", "max_classification", "capabilities")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT_KEYS = ("context_window", "max_output_tokens", "max_concurrency", "rpm", "tpm")
_MIN = {"context_window": 1, "max_output_tokens": 1, "max_concurrency": 1, "rpm": 0, "tpm": 0}


class EndpointsFileInvalid(ValueError):
    """Names the entry and the key at fault."""


def _choice(value: Any, allowed: list[str], what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        names = ", ".join(item or '""' for item in allowed)
        raise ValueError(f"must be one of {names}, not {value!r}")
    return value


def _string(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {value!r}")
    return value.strip()


def _codes(value: Any, allowed: tuple[str, ...] | None, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("must be a list of strings")
    if allowed is not None:
        bad = [item for item in value if item not in allowed]
        if bad:
            raise ValueError(f"unknown {what} {', '.join(bad)}; use {', '.join(allowed)}")
    return list(value)


def _check(key: str, value: Any) -> Any:
    """Validate one key; return the value to store. Raises ValueError saying what is wrong."""
    if key == "name":
        if not isinstance(value, str) or not _NAME.match(value):
            raise ValueError("must be lowercase letters, digits, '-' or '_' (max 100)")
        return value
    if key == "kind":
        return _choice(value, [k for k in Kind.values if k != Kind.BUILTIN_EXTRACTIVE], "kind")
    if key == "hosting":
        return _choice(value, list(Hosting.values), "hosting")
    if key == "deployment_type":
        return _choice(value or "", list(DeploymentType.values), "deployment_type")
    if key == "max_classification":
        return _choice(value, list(LADDER), "max_classification")
    if key == "auth":
        return _choice(value, list(AuthMode.values), "auth")
    if key == "capabilities":
        return _codes(value, CAPABILITIES, "capabilities")
    if key == "languages":
        codes = _codes(value, None, "languages")
        if not all(re.fullmatch(r"[a-z]{2}", code) for code in codes):
            raise ValueError("languages must be ISO 639-1 codes like fr, en, de")
        return codes
    if key in _INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int) or value < _MIN[key]:
            raise ValueError(f"must be a whole number >= {_MIN[key]}")
        return value
    if key in ("price_input_per_1k", "price_output_per_1k"):
        try:
            price = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError("must be a number (price per 1000 tokens)") from exc
        if isinstance(value, bool) or price < 0 or not price.is_finite():
            raise ValueError("must be a number >= 0")
        return price
    if key in ("enabled", "system_role"):
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if key == "secret_env":
        text = _string(value)
        if text and not _ENV.match(text):
            raise ValueError("must be the NAME of an environment variable (the key itself never goes in the file)")
        return text
    if key == "jurisdiction":
        text = _string(value).upper()
        if not re.fullmatch(r"[A-Z]{2}", text):
            raise ValueError("must be a two-letter code such as FR, DE, EU or US")
        return text
    if key == "base_url":
        text = _string(value)
        if text and not re.match(r"^https?://", text):
            raise ValueError("must start with http:// or https://")
        return text
    return _string(value)  # model, api_version, region, secret_file


def parse_entries(data: Any) -> list[dict[str, Any]]:
    """Validate a loaded YAML document; return clean field dicts. Raises EndpointsFileInvalid on the first error."""
    if not isinstance(data, list):
        raise EndpointsFileInvalid("The file must contain a YAML list of endpoints (each item starting with '- ').")
    seen: set[str] = set()
    entries = []
    for index, raw in enumerate(data, start=1):
        label = f"entry {index}" + (f" ({raw.get('name')})" if isinstance(raw, dict) and raw.get("name") else "")
        if not isinstance(raw, dict):
            raise EndpointsFileInvalid(f"{label}: must be a mapping of keys to values")
        unknown = sorted(set(raw) - set(CONTRACT_KEYS) - set(EXTRA_KEYS))
        if unknown:
            raise EndpointsFileInvalid(
                f"{label}: unknown key '{unknown[0]}'; allowed keys: {', '.join(CONTRACT_KEYS + EXTRA_KEYS)}"
            )
        for key in REQUIRED:
            if key not in raw:
                raise EndpointsFileInvalid(f"{label}: key '{key}' is required")
        clean: dict[str, Any] = {}
        for key, value in raw.items():
            try:
                clean[key] = _check(key, value)
            except ValueError as exc:
                raise EndpointsFileInvalid(f"{label}: key '{key}' {exc}") from exc
        _cross_checks(label, clean)
        if clean["name"] in seen:
            raise EndpointsFileInvalid(f"{label}: key 'name' repeats an earlier entry")
        seen.add(clean["name"])
        entries.append(clean)
    return entries


def _cross_checks(label: str, clean: dict[str, Any]) -> None:
    if not clean.get("base_url"):
        raise EndpointsFileInvalid(f"{label}: key 'base_url' is required for kind {clean['kind']}")
    if clean.get("secret_env") and clean.get("secret_file"):
        raise EndpointsFileInvalid(f"{label}: key 'secret_file' conflicts with secret_env; give only one")
    if clean["kind"] in (Kind.AZURE_AI_INFERENCE, Kind.AZURE_OPENAI) and not clean.get("model"):
        raise EndpointsFileInvalid(f"{label}: key 'model' must name the Azure deployment")
    if clean["kind"].startswith("azure") and clean["hosting"] == Hosting.ON_PREMISES:
        raise EndpointsFileInvalid(f"{label}: key 'hosting' cannot be on_premises for an Azure endpoint")
    if clean.get("deployment_type") and not clean["kind"].startswith("azure"):
        raise EndpointsFileInvalid(f"{label}: key 'deployment_type' applies to Azure endpoints only")
    if clean["kind"].startswith("azure") and not clean.get("deployment_type"):
        raise EndpointsFileInvalid(
            f"{label}: key 'deployment_type' is required for Azure (regional, datazone-eu, datazone-us or global): "
            "it decides where data is processed"
        )
