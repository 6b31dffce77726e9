"""Errors raised to LangChain users: each one is both a ``nebius_inference`` error and one of
``langchain_core``'s standard ``Model*Error`` classes, so code that catches either keeps working::

    nebius_inference error              LangChain twin (also a ...)
    ─────────────────────────────────   ──────────────────────────────────────────────
    AuthenticationError (401)           NebiusAuthenticationError   ModelAuthenticationError
    PaymentRequiredError (402)          NebiusPaymentRequiredError  ModelAPIError
    PermissionDeniedError (403)         NebiusPermissionDeniedError ModelPermissionDeniedError
    NotFoundError (404)                 NebiusNotFoundError         ModelNotFoundError
    RateLimitError (429)                NebiusRateLimitError        ModelRateLimitError
    ContextLengthExceededError          NebiusContextOverflowError  ContextOverflowError
    BadRequestError (400)               NebiusBadRequestError       ModelInvalidRequestError
    UnprocessableEntityError (422)      NebiusUnprocessableEntityError  ModelInvalidRequestError
    RequestTooLargeError (413)          NebiusRequestTooLargeError  ModelInvalidRequestError
    InvalidRequestError (before send)   NebiusInvalidRequestError   ModelInvalidRequestError
    InternalServerError (5xx)           NebiusInternalServerError   ModelAPIError
    APIStatusError (any other status)   NebiusAPIStatusError        ModelAPIError
    StreamIdleTimeoutError              NebiusStreamIdleTimeoutError ModelTimeoutError
    APITimeoutError                     NebiusTimeoutError          ModelTimeoutError
    IncompleteStreamError               NebiusIncompleteStreamError ModelConnectionError
    APIConnectionError                  NebiusConnectionError       ModelConnectionError
    APIStreamError                      NebiusStreamError           ModelAPIError
    APIResponseValidationError          NebiusResponseValidationError ModelAPIError
    APIError (anything else)            NebiusAPIError              ModelAPIError

The adapters catch :class:`nebius_inference.NebiusError` around every call and re-raise the twin
``from`` the original, with the same message and attributes (``status_code``, ``response``,
``body``...). Messages never contain the API key: they come from the core, which never puts it
there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

import nebius_inference as ni

__all__ = [
    "NebiusAPIError",
    "NebiusAPIStatusError",
    "NebiusAuthenticationError",
    "NebiusBadRequestError",
    "NebiusConnectionError",
    "NebiusContextOverflowError",
    "NebiusIncompleteStreamError",
    "NebiusInternalServerError",
    "NebiusInvalidRequestError",
    "NebiusNotFoundError",
    "NebiusPaymentRequiredError",
    "NebiusPermissionDeniedError",
    "NebiusRateLimitError",
    "NebiusRequestTooLargeError",
    "NebiusResponseValidationError",
    "NebiusStreamError",
    "NebiusStreamIdleTimeoutError",
    "NebiusTimeoutError",
    "NebiusUnprocessableEntityError",
    "to_langchain_error",
    "translate_errors",
]


class NebiusAuthenticationError(ni.AuthenticationError, ModelAuthenticationError):
    """401: the API key is missing or wrong."""


class NebiusPaymentRequiredError(ni.PaymentRequiredError, ModelAPIError):
    """402: the account's balance or spending budget is used up; not retried."""


class NebiusPermissionDeniedError(ni.PermissionDeniedError, ModelPermissionDeniedError):
    """403: the key may not use this resource."""


class NebiusNotFoundError(ni.NotFoundError, ModelNotFoundError):
    """404: unknown model (ids are case-sensitive), file, batch or path."""


class NebiusRateLimitError(ni.RateLimitError, ModelRateLimitError):
    """429: rate limited, after the core's own retries (honouring ``Retry-After``)."""


class NebiusContextOverflowError(ni.ContextLengthExceededError, ContextOverflowError):
    """The prompt plus ``max_tokens`` does not fit the model's context window."""


class NebiusBadRequestError(ni.BadRequestError, ModelInvalidRequestError):
    """400: the API rejected the request."""


class NebiusUnprocessableEntityError(ni.UnprocessableEntityError, ModelInvalidRequestError):
    """422: the request body failed the API's validation."""


class NebiusRequestTooLargeError(ni.RequestTooLargeError, ModelInvalidRequestError):
    """413: the request body is too large."""


class NebiusInvalidRequestError(ni.InvalidRequestError, ModelInvalidRequestError):
    """The request was rejected on our side, before anything was sent."""


class NebiusInternalServerError(ni.InternalServerError, ModelAPIError):
    """5xx: the API failed, after the core's own retries."""


class NebiusAPIStatusError(ni.APIStatusError, ModelAPIError):
    """Any other 4xx/5xx status."""


class NebiusStreamIdleTimeoutError(ni.StreamIdleTimeoutError, ModelTimeoutError):
    """A stream sat silent longer than ``stream_idle_timeout``."""


class NebiusTimeoutError(ni.APITimeoutError, ModelTimeoutError):
    """The request timed out."""


class NebiusIncompleteStreamError(ni.IncompleteStreamError, ModelConnectionError):
    """A stream ended before ``[DONE]``: the reply is incomplete."""


class NebiusConnectionError(ni.APIConnectionError, ModelConnectionError):
    """The request did not reach the API."""


class NebiusStreamError(ni.APIStreamError, ModelAPIError):
    """The server reported an error inside a stream."""


class NebiusResponseValidationError(ni.APIResponseValidationError, ModelAPIError):
    """The API answered with a body that does not have the documented shape."""


class NebiusAPIError(ni.APIError, ModelAPIError):
    """Any other failure talking to the API."""


# Most specific first: the first class the error is an instance of wins.
_TWINS: tuple[tuple[type[ni.NebiusError], type[ni.NebiusError]], ...] = (
    (ni.AuthenticationError, NebiusAuthenticationError),
    (ni.PaymentRequiredError, NebiusPaymentRequiredError),
    (ni.PermissionDeniedError, NebiusPermissionDeniedError),
    (ni.NotFoundError, NebiusNotFoundError),
    (ni.RateLimitError, NebiusRateLimitError),
    (ni.ContextLengthExceededError, NebiusContextOverflowError),
    (ni.BadRequestError, NebiusBadRequestError),
    (ni.UnprocessableEntityError, NebiusUnprocessableEntityError),
    (ni.RequestTooLargeError, NebiusRequestTooLargeError),
    (ni.InternalServerError, NebiusInternalServerError),
    (ni.APIStatusError, NebiusAPIStatusError),
    (ni.StreamIdleTimeoutError, NebiusStreamIdleTimeoutError),
    (ni.APITimeoutError, NebiusTimeoutError),
    (ni.IncompleteStreamError, NebiusIncompleteStreamError),
    (ni.APIConnectionError, NebiusConnectionError),
    (ni.APIStreamError, NebiusStreamError),
    (ni.APIResponseValidationError, NebiusResponseValidationError),
    (ni.APIError, NebiusAPIError),
    (ni.InvalidRequestError, NebiusInvalidRequestError),
)


def to_langchain_error(error: ni.NebiusError) -> ni.NebiusError:
    """Return the LangChain twin of ``error``: same message and attributes, and also a
    ``langchain_core.exceptions.ModelError``.

    Errors that already are LangChain errors, and errors with no twin (``ConfigurationError``,
    a settings mistake rather than a model failure), are returned unchanged.
    """
    if isinstance(error, ModelError):
        return error
    for source, twin in _TWINS:
        if isinstance(error, source):
            copy = twin.__new__(twin)
            copy.args = error.args
            copy.__dict__.update(error.__dict__)
            return copy
    return error


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise any ``nebius_inference`` error inside the block as its LangChain twin."""
    try:
        yield
    except ni.NebiusError as exc:
        twin = to_langchain_error(exc)
        if twin is exc:
            raise
        raise twin from exc
