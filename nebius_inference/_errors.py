"""The errors raised by ``nebius_inference``.

Every error derives from :class:`NebiusError`; catch it to handle anything this library raises::

    NebiusError
    ├── ConfigurationError              bad settings (missing key, bad base URL); also a ValueError
    ├── InvalidRequestError             bad input caught before anything is sent; also a ValueError
    ├── BatchStateError                 a batch job's state file is unreadable or another job's;
    │                                   also a ValueError
    ├── BatchNotFinishedError           a batch job's batches are still running; also a TimeoutError
    ├── BatchFailedError                some requests of a finished batch job failed
    ├── BatchInputsFailedError          the same, with every input's output or error, in order
    ├── BatchItemError                  why one input of a batch job has no result
    └── APIError                        something went wrong talking to the API
        ├── APIConnectionError          the request or the reply did not get through
        │   ├── APITimeoutError         connect/read/write/pool timeout
        │   │   └── StreamIdleTimeoutError   a stream sat silent longer than allowed
        │   └── IncompleteStreamError   a stream ended before ``data: [DONE]``
        ├── APIResponseValidationError  the reply is not what the API documents
        ├── APIStreamError              the server sent an error event inside a stream
        └── APIStatusError              the API answered with a 4xx or 5xx status
            ├── BadRequestError              400
            │   └── ContextLengthExceededError   400/422 that says the prompt is too long
            ├── AuthenticationError          401
            ├── PermissionDeniedError        403
            ├── NotFoundError                404
            ├── ConflictError                409
            ├── RequestTooLargeError         413
            ├── UnprocessableEntityError     422
            ├── RateLimitError               429
            └── InternalServerError          5xx

The ``Batch*`` errors live in :mod:`nebius_inference.batch`. Messages say what went wrong and
what to do about it. They never contain the API key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ContextLengthExceededError",
    "IncompleteStreamError",
    "InternalServerError",
    "InvalidRequestError",
    "NebiusError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTooLargeError",
    "StreamIdleTimeoutError",
    "UnprocessableEntityError",
]


class NebiusError(Exception):
    """Base class of every error raised by this library."""


class ConfigurationError(NebiusError, ValueError):
    """The client is configured wrongly (for example, no API key could be found)."""


class InvalidRequestError(NebiusError, ValueError):
    """A request was rejected on our side, before anything was sent."""


class APIError(NebiusError):
    """Talking to the API failed.

    Attributes:
        message: what went wrong and what to do.
        request: the ``httpx.Request`` (its ``Authorization`` header is redacted in its repr).
        body: the parsed error body, when there was one.
    """

    message: str
    request: httpx.Request | None
    body: object | None

    def __init__(
        self, message: str, *, request: httpx.Request | None = None, body: object | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body


class APIConnectionError(APIError):
    """The request did not reach the API, or the reply was cut off."""

    def __init__(
        self,
        message: str = "Could not connect to the Nebius API. Check your network and base URL.",
        *,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """The request timed out. Raise ``timeout`` or retry later."""

    def __init__(
        self,
        message: str = "The request to the Nebius API timed out. Raise `timeout` or retry later.",
        *,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message, request=request)


class StreamIdleTimeoutError(APITimeoutError):
    """A stream received no data for longer than ``stream_idle_timeout`` seconds."""


class IncompleteStreamError(APIConnectionError):
    """A stream ended before the server sent ``data: [DONE]``: the reply is incomplete."""


class APIResponseValidationError(APIError):
    """The API answered with a body that does not have the documented shape."""

    response: httpx.Response | None

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
        body: object | None = None,
    ) -> None:
        super().__init__(message, request=request, body=body)
        self.response = response


class APIStreamError(APIError):
    """The server reported an error inside a stream (an ``error`` event or payload)."""


class APIStatusError(APIError):
    """The API answered with a 4xx or 5xx status.

    Attributes:
        status_code: the HTTP status.
        response: the ``httpx.Response``.
        request_id: the server's request id, when it sent one.
    """

    status_code: int
    response: httpx.Response

    def __init__(self, message: str, *, response: httpx.Response, body: object | None) -> None:
        super().__init__(message, request=response.request, body=body)
        self.response = response
        self.status_code = response.status_code

    @property
    def request_id(self) -> str | None:
        value: str | None = self.response.headers.get("x-request-id")
        return value


class BadRequestError(APIStatusError):
    """400: the API rejected the request. Fix the request as the message says."""


class ContextLengthExceededError(BadRequestError):
    """The prompt plus ``max_tokens`` does not fit the model's context window."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not use this resource."""


class NotFoundError(APIStatusError):
    """404: unknown model, file, batch or path."""


class ConflictError(APIStatusError):
    """409: the resource is in a state that does not allow this; retried automatically."""


class RequestTooLargeError(APIStatusError):
    """413: the request body is too large."""


class UnprocessableEntityError(APIStatusError):
    """422: the request body failed the API's validation."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; retried automatically, honouring ``Retry-After``."""


class InternalServerError(APIStatusError):
    """5xx: the API failed; retried automatically."""


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

HINTS: dict[type[APIStatusError], str] = {
    AuthenticationError: "Check NEBIUS_API_KEY (or the api_key argument): the API refused it.",
    PermissionDeniedError: "Your key may not use this resource; check your project and access.",
    NotFoundError: "Check the model id (ids are case-sensitive; list them with list_models()), "
    "the file or batch id, and the base URL.",
    RateLimitError: "You hit a rate limit. Retries are automatic; lower your concurrency, raise "
    "max_retries, or use the Batch API for bulk work.",
    RequestTooLargeError: "Send a smaller request: fewer or shorter inputs.",
    UnprocessableEntityError: "Fix the request fields named above.",
    ContextLengthExceededError: "Shorten the prompt or lower max_tokens.",
    InternalServerError: "The API failed; retry later.",
}


def error_class_for(status: int, message: str) -> type[APIStatusError]:
    """Pick the error class for an HTTP status (and, for 400/422, the message)."""
    if status in (400, 413, 422) and _looks_like_context_overflow(message):
        return ContextLengthExceededError
    if status >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status, APIStatusError)


_OVERFLOW_MARKERS = (
    "context length",
    "context_length",
    "maximum context",
    "context window",
    "too many tokens",
    "prompt is too long",
)


def _looks_like_context_overflow(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _OVERFLOW_MARKERS)


def describe_error_body(body: Any) -> str:
    """Turn either error body shape into one readable line.

    FastAPI: ``{"detail": "msg"}`` or ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``.
    OpenAI: ``{"error": {"message": ..., "type": ..., "code": ...}}``.
    """
    if isinstance(body, dict):
        if "detail" in body:
            return _describe_detail(body["detail"])
        error = body.get("error")
        if isinstance(error, dict):
            message = str(error.get("message") or error.get("type") or error)
            code = error.get("code")
            return f"{message} (code: {code})" if code not in (None, "") else message
        if isinstance(error, str):
            return error
        if isinstance(body.get("message"), str):
            return str(body["message"])
    if isinstance(body, str):
        return body.strip()[:2000]
    return str(body)[:2000]


def _describe_detail(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                msg = item.get("msg", "invalid")
                parts.append(f"{loc}: {msg}" if loc else str(msg))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)
