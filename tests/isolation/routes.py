"""Every URL route of the project, read from the URLconf (recursively), with what the isolation matrix needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

SLUG = "agency_slug"


@dataclass(frozen=True)
class Route:
    key: str  # the matrix key: "<namespace>:<name>", or the pattern when the route has no unique name
    pattern: str  # e.g. "a/<slug:agency_slug>/console/keys/<int:key_id>/revoke/"
    name: str | None  # the name to reverse, with namespaces
    kwargs: tuple[str, ...]  # every URL argument, in order
    callback: Any

    @property
    def object_kwargs(self) -> tuple[str, ...]:
        return tuple(kwarg for kwarg in self.kwargs if kwarg != SLUG)

    @property
    def kind(self) -> str:
        """page: under /a/<agency_slug>/; api: under /api/v1/; user: anything else (user-level or platform)."""
        if SLUG in self.kwargs:
            return "page"
        if self.pattern.startswith("api/v1/"):
            return "api"
        return "user"


def _kwargs(pattern: Any) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex)
    return []


def _walk(
    patterns: list[Any], prefix: str, namespaces: tuple[str, ...], kwargs: tuple[str, ...]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for entry in patterns:
        here = (*kwargs, *_kwargs(entry.pattern))
        if isinstance(entry, URLResolver):
            spaces = (*namespaces, entry.namespace) if entry.namespace else namespaces
            found += _walk(entry.url_patterns, prefix + str(entry.pattern), spaces, here)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else None
            found.append(
                {"pattern": prefix + str(entry.pattern), "name": name, "kwargs": here, "callback": entry.callback}
            )
    return found


def all_routes() -> list[Route]:
    raw = _walk(get_resolver().url_patterns, "", (), ())
    names = [item["name"] for item in raw if item["name"]]
    routes = []
    for item in raw:
        unique = item["name"] and names.count(item["name"]) == 1
        key = item["name"] if unique else item["pattern"]
        routes.append(
            Route(
                key=key,
                pattern=item["pattern"],
                name=item["name"] if unique else None,
                kwargs=tuple(item["kwargs"]),
                callback=item["callback"],
            )
        )
    return routes
