"""Job parameters: validated once at creation, stored as given, read by the pipeline."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

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
    raise ParamsInvalid("invalid_kind", _("kind must be 'summarise' or 'translate'."))


def _choice(raw: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = raw.get(name) or default
    if value not in allowed:
        raise ParamsInvalid(
            f"invalid_{name}", _("%(name)s must be one of %(allowed)s.") % {"name": name, "allowed": ", ".join(allowed)}
        )
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
            _("%(name)s '%(code)s' is not supported. Supported languages: %(supported)s.")
            % {"name": name, "code": code or _("(missing)"), "supported": supported_listing()},
        )
    return code


def _targets(raw: dict[str, Any]) -> list[str]:
    """`target_language` (one code) or `target_languages` (a list, or codes separated by commas): in the order
    given, each once."""
    single, several = raw.get("target_language"), raw.get("target_languages")
    if several in (None, "", []):
        if single in (None, ""):
            raise ParamsInvalid(
                "unsupported_language",
                _(
                    "Choose the language to translate into: target_language (one code) or target_languages "
                    "(several). Supported languages: %(supported)s."
                )
                % {"supported": supported_listing()},
            )
        return [_language(single, "target_language")]
    if isinstance(several, str):
        several = [part for part in several.split(",") if part.strip()]
    if not isinstance(several, list | tuple) or not several:
        raise ParamsInvalid(
            "invalid_target_languages", _('target_languages must be a list of language codes, e.g. ["fr", "de"].')
        )
    codes = list(dict.fromkeys(_language(code, "target_languages") for code in several))
    if single not in (None, "") and _language(single, "target_language") not in codes:
        raise ParamsInvalid(
            "conflicting_target_languages",
            _("target_language is not among target_languages: send only target_languages (or only one of them)."),
        )
    return codes


def target_languages(params: dict[str, Any]) -> list[str]:
    """The target languages of cleaned translation params (both shapes)."""
    several = params.get("target_languages")
    if several:
        return [str(code) for code in several]
    single = params.get("target_language")
    return [str(single)] if single else []


def _translation(raw: dict[str, Any]) -> dict[str, Any]:
    targets = _targets(raw)
    source_raw = str(raw.get("source_language") or "auto").strip().lower()
    source = "auto" if source_raw == "auto" else _language(source_raw, "source_language")
    if source in targets:
        raise ParamsInvalid(
            "same_language",
            _("source_language and a target language are the same (%(code)s): pick another target language.")
            % {"code": source},
        )
    # One target keeps the original single-language shape, so its idempotency fingerprint is unchanged.
    chosen: dict[str, Any] = {"target_language": targets[0]} if len(targets) == 1 else {"target_languages": targets}
    return {
        **chosen,
        "source_language": source,
        "use_glossary": raw.get("use_glossary", True) is not False,
    }
