"""Job parameters: validated once at creation, stored as given, read by the pipeline."""

from __future__ import annotations

from typing import Any

from jobs.models import JobKind

SUPPORTED_LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
}
LENGTHS = ("brief", "standard", "detailed")
STYLES = ("prose", "bullets")


class ParamsInvalid(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def supported_listing() -> str:
    return ", ".join(f"{code} ({name})" for code, name in SUPPORTED_LANGUAGES.items())


def params_clean(*, kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    if kind == JobKind.SUMMARISE:
        return _summary(raw)
    if kind == JobKind.TRANSLATE:
        return _translation(raw)
    raise ParamsInvalid("invalid_kind", "kind must be 'summarise' or 'translate'.")


def _choice(raw: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = raw.get(name) or default
    if value not in allowed:
        raise ParamsInvalid(f"invalid_{name}", f"{name} must be one of {', '.join(allowed)}.")
    return str(value)


def _bool(raw: dict[str, Any], name: str) -> bool:
    value = raw.get(name, False)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _summary(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "length": _choice(raw, "length", LENGTHS, "standard"),
        "style": _choice(raw, "style", STYLES, "prose"),
        "plain_language": _bool(raw, "plain_language"),
    }


def _language(value: Any, name: str) -> str:
    code = str(value or "").strip().lower()
    if code not in SUPPORTED_LANGUAGES:
        raise ParamsInvalid(
            "unsupported_language",
            f"{name} {code or '(missing)'!r} is not supported. Supported languages: {supported_listing()}.",
        )
    return code


def _translation(raw: dict[str, Any]) -> dict[str, Any]:
    target = _language(raw.get("target_language"), "target_language")
    source_raw = str(raw.get("source_language") or "auto").strip().lower()
    source = "auto" if source_raw == "auto" else _language(source_raw, "source_language")
    if source == target:
        raise ParamsInvalid("same_language", "source_language and target_language are the same: pick another.")
    return {
        "target_language": target,
        "source_language": source,
        "use_glossary": raw.get("use_glossary", True) is not False,
    }
