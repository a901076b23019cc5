"""Translatable messages for code that also runs without Django (the parsing child has no settings).

Messages are written in English, marked with `gettext_noop` so `makemessages` collects them, stored and logged in
English (audit, error_message columns, worker logs), and translated where a person reads them (`localize`).
"""

from __future__ import annotations

from typing import Any


def gettext_noop(message: str) -> str:
    """Mark `message` for translation; returns it unchanged (named like Django's, which makemessages looks for)."""
    return message


def localize(message: str, params: dict[str, Any] | None = None) -> str:
    """`message` (an English msgid, as stored) in the active language, with its %(name)s params filled in."""
    if not message:
        return ""
    from django.utils.translation import gettext

    text = gettext(message)
    return text % params if params else text
