"""The data-classification ladder. Higher rank = more sensitive; an endpoint accepts up to its ceiling."""

from __future__ import annotations

LADDER: tuple[str, ...] = ("public", "internal", "sensitive", "restricted")


class UnknownClassification(ValueError):
    """A classification name outside the ladder."""


def validate(name: str) -> str:
    """Return `name` if it is on the ladder, else raise with the allowed names."""
    if name not in LADDER:
        allowed = ", ".join(LADDER)
        raise UnknownClassification(f"Unknown classification {name!r}: use one of {allowed}.")
    return name


def rank(name: str) -> int:
    """Position on the ladder (public = 0). Raises UnknownClassification for other names."""
    return LADDER.index(validate(name))
