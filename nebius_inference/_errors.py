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
            ├── PaymentRequiredError         402: the balance or budget is used up
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

import re
import sys
from typing import TYPE_CHECKING, Any

from ._logs import SENSITIVE_HEADERS

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
    "PaymentRequiredError",
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
        request: the ``httpx.Request`` that was sent, as a copy whose ``Authorization`` (and
            any other credential header) reads ``[redacted]``: an error can be logged, pickled
            or sent to an error tracker without the key. Errors pickle and unpickle with their
            attributes.
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
        self.request = redact_request(request)
        self.body = body
        _scrub_handled_exception()

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own reduce calls ``cls(*args)``, which our keyword-only arguments refuse;
        # rebuild without __init__ and restore the (already redacted) attributes instead.
        return (_rebuild_error, (type(self), self.args), self.__dict__)


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
        self.response = _with_request(response, self.request)


class APIStreamError(APIError):
    """The server reported an error inside a stream (an ``error`` event or payload)."""


class APIStatusError(APIError):
    """The API answered with a 4xx or 5xx status.

    Attributes:
        status_code: the HTTP status.
        response: the ``httpx.Response``.
        request_id: the server's request id, when it sent one.
        retry_after: the seconds the server asked to wait (``Retry-After``), when it said.
    """

    status_code: int
    response: httpx.Response
    retry_after: float | None = None

    def __init__(self, message: str, *, response: httpx.Response, body: object | None) -> None:
        super().__init__(message, request=response.request, body=body)
        self.response = _with_request(response, self.request)
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


class PaymentRequiredError(APIStatusError):
    """402: the account's balance or spending budget is used up; not retried."""


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
    """429: too many requests or tokens; retried automatically, honouring ``Retry-After``.

    A ``Retry-After`` longer than the client's cap (``RetryPolicy.max_retry_after``) is not
    waited out: the error is raised at once, with the wait in ``retry_after``."""


class InternalServerError(APIStatusError):
    """5xx: the API failed; retried automatically."""


def _rebuild_error(cls: type[APIError], args: tuple[Any, ...]) -> APIError:
    error = cls.__new__(cls)
    error.args = args
    return error


REDACTED = "[redacted]"


def redact_request(request: httpx.Request | None) -> httpx.Request | None:
    """A copy of ``request`` with its credentials (``Authorization`` and the like, a password in
    the URL) replaced by ``[redacted]``, for an error to keep. The original is left as it is."""
    if request is None:
        return None
    import httpx  # already imported by whoever built the request

    headers = request.headers
    if not any(name.lower() in SENSITIVE_HEADERS for name in headers) and not request.url.password:
        return request
    copy = object.__new__(httpx.Request)
    copy.__dict__.update(request.__dict__)
    copy.headers = httpx.Headers(
        [
            (name, REDACTED if name.lower() in SENSITIVE_HEADERS else value)
            for name, value in headers.multi_items()
        ],
        encoding=headers.encoding,
    )
    if request.url.password:
        copy.url = request.url.copy_with(password=REDACTED)
    return copy


def _scrub_handled_exception() -> None:
    """Redact the requests kept by the exception being handled (and its chain): an error built
    in an ``except`` block gets it as its ``__cause__``/``__context__``, which error trackers
    read, and httpx's errors keep the request as sent, key included."""
    handled = sys.exc_info()[1]
    for _ in range(8):
        if handled is None:
            return
        kept = getattr(handled, "_request", None)
        if kept is not None and hasattr(kept, "headers"):
            handled._request = redact_request(kept)  # type: ignore[attr-defined]
        handled = handled.__cause__ or handled.__context__


def _with_request(response: httpx.Response | None, request: httpx.Request | None) -> Any:
    """Point a failed reply at the redacted request (``response.request`` would hold the key)."""
    if response is not None and request is not None:
        response.request = request
    return response


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

HINTS: dict[type[APIStatusError], str] = {
    AuthenticationError: "Check NEBIUS_API_KEY (or the api_key argument): the API refused it.",
    PaymentRequiredError: "Your account's balance or spending budget is used up: top it up "
    "or raise the limit in the Nebius Token Factory console (billing); retrying will not help "
    "until then.",
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


def error_class_for(status: int, message: str, body: object = None) -> type[APIStatusError]:
    """Pick the error class for an HTTP status (and, for 400/413/422, the message and the body's
    ``type``/``code``)."""
    if status in (400, 413, 422) and (
        _looks_like_context_overflow(message) or _body_says_context_overflow(body)
    ):
        return ContextLengthExceededError
    if status >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status, APIStatusError)


# How servers word "the prompt does not fit", lowercased:
_OVERFLOW_MARKERS = (
    "context length",  # OpenAI, vLLM ("This model's maximum context length is 4096 tokens"),
    "context_length",  # SGLang ("longer than the model's context length (4096 tokens)")
    "maximum context",
    "context window",
    "maximum model length",  # vLLM ("is longer than the maximum model length of 4096")
    "max_model_len",
    "context size",  # llama.cpp ("the request exceeds the available context size")
    "exceeds the maximum allowed length",  # SGLang ("Input length (5000 tokens) exceeds ...")
    "too many tokens",
    "prompt is too long",
)
# TGI: "`inputs` tokens + `max_new_tokens` must be <= 4096" and "`inputs` must have less than
# 4096 tokens".
_TGI_OVERFLOW = re.compile(
    r"inputs`? tokens \+ `?max_new_tokens`? must be <=|`?inputs`? must have less than \d+ tokens"
)
# Error ``type``/``code`` values that mean the same (llama.cpp, OpenAI, others).
_OVERFLOW_CODES = frozenset(
    {
        "exceed_context_size_error",
        "context_length_exceeded",
        "context_window_exceeded",
        "context_overflow",
        "prompt_too_long",
    }
)


def _looks_like_context_overflow(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _OVERFLOW_MARKERS) or bool(
        _TGI_OVERFLOW.search(lowered)
    )


def _body_says_context_overflow(body: object) -> bool:
    if not isinstance(body, dict):
        return False
    error = body.get("error")
    places = [body, error] if isinstance(error, dict) else [body]
    return any(
        isinstance(place.get(name), str) and place[name].lower() in _OVERFLOW_CODES
        for place in places
        for name in ("type", "code", "error_type")
    )


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
