"""Offline language detection (lingua), restricted to the languages the platform serves, for speed and memory."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_CODES = (
    "en",
    "fr",
    "de",
    "es",
    "it",
    "nl",
    "pt",
    "pl",
    "sv",
    "da",
    "fi",
    "el",
    "cs",
    "ro",
    "hu",
    "bg",
    "hr",
    "sk",
    "sl",
    "et",
    "lv",
    "lt",
    "ga",
    "mt",
    "ca",
    "eu",
)
SAMPLE_CHARS = 20_000


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = []
    for code in _CODES:
        try:
            languages.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except (AttributeError, ValueError):
            continue
    return LanguageDetectorBuilder.from_languages(*languages).with_minimum_relative_distance(0.0).build()


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text`, or "" when it cannot be told (too short, numbers only)."""
    sample = text[:SAMPLE_CHARS]
    if len(sample.strip()) < 3:
        return ""
    language = _detector().detect_language_of(sample)
    if language is None:
        return ""
    return str(language.iso_code_639_1.name).lower()
