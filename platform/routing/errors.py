"""Model-call errors. All picklable (they cross Celery): plain positional state, restored by __reduce__.

The openai SDK's exceptions are converted here and never leave routing.client.
"""

from __future__ import annotations

from typing import Any


class ModelCallError(Exception):
    """A model call that did not produce a result. `retryable`: trying again later may succeed."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.retryable))

    def __str__(self) -> str:
        return self.message


class ContentFiltered(ModelCallError):
    """The provider's content filter blocked the prompt or the output. Not retryable; message is user-facing."""

    def __init__(self, message: str = "", retryable: bool = False, endpoint_name: str = "") -> None:
        super().__init__(
            message
            or "The model provider's content filter blocked this request. Rephrase or remove the flagged "
            "passage, or ask an agency admin about an endpoint without this filter.",
            False,
        )
        self.endpoint_name = endpoint_name

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, False, self.endpoint_name))


class ContextOverflow(ModelCallError):
    """The request did not fit the model's context. Re-plan with smaller chunks (n_ctx / requested when known)."""

    def __init__(
        self, message: str, retryable: bool = False, n_ctx: int | None = None, requested: int | None = None
    ) -> None:
        super().__init__(message, False)
        self.n_ctx = n_ctx
        self.requested = requested

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, False, self.n_ctx, self.requested))


class AllCandidatesFailed(ModelCallError):
    """Every candidate of the decision failed or was unavailable. Retryable later."""

    def __init__(self, message: str, retryable: bool = True, last_error: str = "") -> None:
        super().__init__(message, retryable)
        self.last_error = last_error

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.retryable, self.last_error))


class EndpointMisconfigured(ModelCallError):
    """Authentication or permission refused, or a missing secret: the operator must fix the endpoint."""

    def __init__(self, message: str, retryable: bool = False, endpoint_name: str = "") -> None:
        super().__init__(message, False)
        self.endpoint_name = endpoint_name

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, False, self.endpoint_name))
