"""Scope for Celery tasks: re-enter the agency from the task's agency_id before any query runs."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from celery import shared_task

from tenants.models import Agency
from tenants.scope import agency_scope

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


class AgencySuspended(Exception):
    """Work for a suspended agency is not run."""


def agency_task(*, bind: bool = False, **celery_options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Register a Celery task whose first argument (after `self` when bound) is the agency id.

    The task body runs inside that agency's scope, so it cannot read another agency's rows. Tasks for an agency
    that no longer exists or is suspended are dropped with a log line (the reconciler resumes them on reactivation).
    """

    def decorator(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            head, rest = (args[:1], args[1:]) if bind else ((), args)
            if "agency_id" in kwargs:
                agency_id = kwargs.pop("agency_id")
            elif rest:
                agency_id, rest = rest[0], rest[1:]
            else:
                raise TypeError(f"{fn.__name__} needs agency_id")
            agency = Agency.objects.filter(pk=agency_id).first()
            if agency is None or not agency.is_active:
                logger.warning("Dropping %s for missing or suspended agency %s", fn.__name__, agency_id)
                return None
            with agency_scope(agency):
                return fn(*head, agency.pk, *rest, **kwargs)

        return shared_task(bind=bind, **celery_options)(run)

    return decorator
