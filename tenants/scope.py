"""The agency in scope for the current request, API call or task.

Set in exactly one place per entry point (middleware, API base view, task decorator). Tenant-owned queries read it;
with no agency in scope they raise instead of returning every agency's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenants.models import Agency


class NoAgencyInScope(RuntimeError):
    """A tenant-owned table was queried with no agency in scope: a programming error, never user input."""


class CrossAgencyWrite(RuntimeError):
    """A row of one agency was about to be written while another agency is in scope."""


_current: ContextVar[Agency | None] = ContextVar("tramontane_agency", default=None)
_all_agencies: ContextVar[bool] = ContextVar("tramontane_all_agencies", default=False)


@contextmanager
def agency_scope(agency: Agency) -> Iterator[Agency]:
    token = _current.set(agency)
    try:
        yield agency
    finally:
        _current.reset(token)


@contextmanager
def all_agencies() -> Iterator[None]:
    """Escape hatch: scoped managers return every agency's rows. For operator and system code only."""
    token = _all_agencies.set(True)
    try:
        yield
    finally:
        _all_agencies.reset(token)


def current_agency_or_none() -> Agency | None:
    return _current.get()


def current_agency() -> Agency:
    agency = _current.get()
    if agency is None:
        raise NoAgencyInScope(
            "No agency in scope. Enter one with tenants.scope.agency_scope(agency) "
            "(pages, API and tasks do this for you)."
        )
    return agency


def sees_all_agencies() -> bool:
    return _all_agencies.get()


def scope_enter(agency: Agency) -> Token[Agency | None]:
    """For entry points whose scope spans two callbacks (the API base view); pair with scope_exit()."""
    return _current.set(agency)


def scope_exit(token: Token[Agency | None]) -> None:
    _current.reset(token)
