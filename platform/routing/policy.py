"""Residency policy rules: parsing and validation of the JSON an agency admin writes (pure; no database)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from routing.classification import LADDER

HOSTING_TYPES = ("on_premises", "sovereign_cloud", "public_cloud")
RULE_KEYS = frozenset({"hosting", "jurisdictions", "processing", "endpoints", "degraded_mode"})


class PolicyInvalid(ValueError):
    """A policy document that cannot be used; `errors` maps a field path to what to fix."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors,))


@dataclass(frozen=True)
class Rule:
    hosting: frozenset[str]
    jurisdictions: frozenset[str]
    processing: frozenset[str]  # allowed processing locations; defaults to the jurisdictions
    endpoints: tuple[str, ...]  # optional allowlist, in preference order; empty = any endpoint passing the rest
    degraded_mode: bool


@dataclass(frozen=True)
class Policy:
    version: int
    default_classification: str
    rules: Mapping[str, Rule]


def parse_policy(*, version: int, default_classification: str, rules: Any) -> Policy:
    """Validate a policy document; raise PolicyInvalid naming every bad field."""
    errors: dict[str, str] = {}
    if default_classification not in LADDER:
        errors["default_classification"] = f"use one of {', '.join(LADDER)}"
    parsed: dict[str, Rule] = {}
    if not isinstance(rules, dict):
        errors["rules"] = "must be an object keyed by classification"
        raise PolicyInvalid(errors)
    for name, raw in rules.items():
        rule = _parse_rule(f"rules.{name}", name, raw, errors)
        if rule is not None:
            parsed[name] = rule
    if errors:
        raise PolicyInvalid(errors)
    return Policy(version=version, default_classification=default_classification, rules=parsed)


def _parse_rule(path: str, name: str, raw: Any, errors: dict[str, str]) -> Rule | None:
    if name not in LADDER:
        errors[path] = f"unknown classification; use one of {', '.join(LADDER)}"
        return None
    if not isinstance(raw, dict):
        errors[path] = "must be an object with hosting, jurisdictions, endpoints, degraded_mode"
        return None
    unknown = sorted(set(raw) - RULE_KEYS)
    if unknown:
        errors[path] = f"unknown keys {', '.join(unknown)}; allowed: {', '.join(sorted(RULE_KEYS))}"
    hosting = _string_list(f"{path}.hosting", raw.get("hosting", []), errors)
    bad_hosting = [item for item in hosting if item not in HOSTING_TYPES]
    if bad_hosting:
        errors[f"{path}.hosting"] = f"unknown {', '.join(bad_hosting)}; use {', '.join(HOSTING_TYPES)}"
    jurisdictions = [
        item.upper() for item in _string_list(f"{path}.jurisdictions", raw.get("jurisdictions", []), errors)
    ]
    processing_raw = raw.get("processing")
    processing = jurisdictions if processing_raw is None else _string_list(f"{path}.processing", processing_raw, errors)
    endpoints = _string_list(f"{path}.endpoints", raw.get("endpoints", []), errors)
    if len(set(endpoints)) != len(endpoints):
        errors[f"{path}.endpoints"] = "lists an endpoint twice"
    degraded = raw.get("degraded_mode", False)
    if not isinstance(degraded, bool):
        errors[f"{path}.degraded_mode"] = "must be true or false"
        degraded = False
    return Rule(
        hosting=frozenset(hosting),
        jurisdictions=frozenset(jurisdictions),
        processing=frozenset(processing),
        endpoints=tuple(endpoints),
        degraded_mode=degraded,
    )


def _string_list(path: str, value: Any, errors: dict[str, str]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        errors[path] = "must be a list of non-empty strings"
        return []
    return [item.strip() for item in value]


def default_rules(*, country_code: str) -> dict[str, Any]:
    """The policy an agency starts with: on-premises only, in its own country (and the EU for low levels).

    Degraded mode (the built-in extractive summariser, which never leaves the platform) is allowed so the quick
    start works before a model is connected. `restricted` has no rule: it allows nothing until an admin decides.
    """
    country = country_code.upper()
    from routing.geo import EU_COUNTRIES

    wide = [country, "EU"] if country in EU_COUNTRIES else [country]
    return {
        "public": {"hosting": ["on_premises"], "jurisdictions": wide, "endpoints": [], "degraded_mode": True},
        "internal": {"hosting": ["on_premises"], "jurisdictions": wide, "endpoints": [], "degraded_mode": True},
        "sensitive": {"hosting": ["on_premises"], "jurisdictions": [country], "endpoints": [], "degraded_mode": True},
    }
