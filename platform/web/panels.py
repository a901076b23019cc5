"""Panels of the workspace home, contributed by other packages without web depending on them.

A panel is a function `(request) -> str` returning rendered HTML (a <section> with its own heading), or "" when
it has nothing to show. A package that does not exist yet is skipped, so the home works as packages arrive.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

WORKSPACE_PANELS = (
    "documents.panels.recent_documents",
    "jobs.panels.recent_jobs",
)


def workspace_panels(request: HttpRequest) -> list[SafeString]:
    panels: list[SafeString] = []
    for dotted in WORKSPACE_PANELS:
        if not _exists(dotted.rpartition(".")[0]):
            continue  # that package has no panel yet; an existing but broken panel still raises
        panel: Callable[[HttpRequest], str] = import_string(dotted)
        html = panel(request)
        if html:
            # Panels render their HTML with Django templates, which escape their own variables.
            panels.append(mark_safe(html))  # noqa: S308
    return panels


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False
