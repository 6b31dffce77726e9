"""Everything the clients do that needs no I/O: build requests, read replies, map errors.

The sync and async clients call these functions and differ only in how they send and sleep.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ._checks import check_body_is_json, check_extras, check_finite, check_timeout
from ._config import ClientOptions
from ._errors import (
    HINTS,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    InvalidRequestError,
    NotFoundError,
    describe_error_body,
    error_class_for,
)
from ._logs import logger, redact_headers
from ._retry import RetryPolicy, parse_retry_after
from ._vectors import Output, decode_vectors
from ._version import __version__
from .types._base import APIResponse, RequestModel
from .types.embeddings import CreateEmbeddingResponse, decode_base64_embedding

if TYPE_CHECKING:
    from ._reply import Reply

__all__ = [
    "RequestOptions",
    "build_body",
    "decode_base64_embedding",
    "make_status_error",
    "parse_embedding_vectors",
    "parse_embeddings",
    "parse_json",
    "retry_delay_after_error",
    "retry_delay_after_status",
]

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R", bound=RequestModel)

USER_AGENT = f"nebius-inference/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"

# Per-call options accepted by every method next to the body fields.
CALL_OPTIONS = ("extra_headers", "extra_query", "extra_body", "timeout", "max_retries")


@dataclass
class RequestOptions:
    """What one call sends, apart from the client's own settings."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    timeout: float | None = None
    stream: bool = False
    max_retries: int | None = None


def default_headers(options: ClientOptions) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {options.api_key.get_secret_value()}",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    headers.update(options.default_headers)
    return headers


def make_timeout(options: ClientOptions, override: float | None, *, stream: bool) -> httpx.Timeout:
    t = options.timeouts
    total = override if override is not None else t.total
    read = t.stream_idle if stream and t.stream_idle is not None else total
    connect = t.connect if t.connect is not None else total
    if override is not None and connect is not None:
        connect = min(connect, override)
    return httpx.Timeout(total, connect=connect, read=read)


@dataclass
class PreparedRequest:
    """A request ready to send, before any HTTP library's types: what every path shares."""

    method: str
    base_url: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    content: bytes | None
    timeout: httpx.Timeout
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    # The httpx.Request, once built (see httpx_request); every attempt sends the same one.
    built: httpx.Request | None = field(default=None, repr=False, compare=False)

    @property
    def url(self) -> str:
        return f"{self.base_url}{self.path}"


def prepare_request(options: ClientOptions, call: RequestOptions) -> PreparedRequest:
    """Encode the body and settle the query, headers and timeout of one call."""
    params = dict(call.params)
    if options.ai_project_id and "ai_project_id" not in params:
        params["ai_project_id"] = options.ai_project_id
    headers = dict(call.headers)
    if call.stream:
        headers["Accept"] = "text/event-stream"
    content: bytes | None = None
    if call.body is not None:
        try:
            text = json.dumps(call.body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except ValueError:  # a NaN or an infinity somewhere: say where, send nothing
            check_body_is_json(call.body)
            raise
        content = text.encode()
        headers["Content-Type"] = "application/json"
    prepared = PreparedRequest(
        call.method,
        options.base_url,
        call.path,
        params,
        headers,
        content,
        make_timeout(options, call.timeout, stream=call.stream),
        call.files,
        call.data,
    )
    if logger.isEnabledFor(10):
        logger.debug(
            "%s %s params=%s headers=%s",
            prepared.method,
            prepared.url,
            params,
            redact_headers(headers.items()),
        )
    return prepared


def to_httpx_request(
    prepared: PreparedRequest, http: httpx.Client | httpx.AsyncClient | None = None
) -> httpx.Request:
    """The ``httpx.Request``. With ``http=None`` (our own pool) it is built directly; a user's
    client builds it, so its own base headers and settings apply."""
    if http is None:
        return httpx.Request(
            prepared.method,
            _parsed_url(prepared.base_url, prepared.path),
            params=prepared.params or None,
            headers=prepared.headers,
            content=prepared.content,
            files=prepared.files,
            data=prepared.data,
            extensions={"timeout": prepared.timeout.as_dict()},
        )
    return http.build_request(
        prepared.method,
        prepared.url,
        params=prepared.params or None,
        headers=prepared.headers,
        content=prepared.content,
        files=prepared.files,
        data=prepared.data,
        timeout=prepared.timeout,
    )


def httpx_request(
    prepared: PreparedRequest, http: httpx.Client | httpx.AsyncClient | None = None
) -> httpx.Request:
    """:func:`to_httpx_request`, built once per prepared request (a route always passes the
    same ``http``)."""
    built = prepared.built
    if built is None:
        built = prepared.built = to_httpx_request(prepared, http)
    return built


@functools.lru_cache(maxsize=512)
def _parsed_url(base_url: str, path: str) -> httpx.URL:
    """Parsing a URL is a measurable part of a call; the same few are used over and over."""
    return httpx.URL(f"{base_url}{path}")


def split_call_options(params: dict[str, Any]) -> dict[str, Any]:
    """Pop the per-call options (``extra_headers``, ``extra_query``, ``extra_body``, ``timeout``,
    ``max_retries``)."""
    return {name: params.pop(name) for name in CALL_OPTIONS if name in params}


def build_body(
    model_cls: type[R], request: R | Mapping[str, Any] | None, params: dict[str, Any]
) -> dict[str, Any]:
    """Validate a request (a model, a mapping, keyword arguments, or a mix) and return its body.

    Raises :class:`InvalidRequestError` naming the bad field before anything is sent.
    """
    if request is None:
        data: dict[str, Any] = dict(params)
    elif isinstance(request, RequestModel):
        data = {**request.model_dump(exclude_none=True, by_alias=True), **params}
    else:
        data = {**request, **params}
    try:
        model = model_cls.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequestError(_describe_validation(model_cls, exc)) from None
    check_finite(model.__dict__, skip="messages")
    extras = model.model_extra
    if extras:
        check_finite(extras)
        check_extras(extras, _known_fields(model_cls))
    return model.to_body()


@functools.lru_cache(maxsize=64)
def _known_fields(model_cls: type[BaseModel]) -> frozenset[str]:
    names = set(model_cls.model_fields)
    names.update(f.alias for f in model_cls.model_fields.values() if f.alias)
    return frozenset(names)


def _describe_validation(model_cls: type[BaseModel], exc: ValidationError) -> str:
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        problems.append(f"{loc}: {err['msg']}")
    name = model_cls.__name__.removesuffix("Request")
    return f"Invalid {name} request: " + "; ".join(problems)


def apply_call_options(call: RequestOptions, extras: Mapping[str, Any]) -> RequestOptions:
    if extras.get("extra_headers"):
        call.headers.update(extras["extra_headers"])
    if extras.get("extra_query"):
        call.params.update(extras["extra_query"])
    if extras.get("extra_body"):
        if call.body is None:
            call.body = {}
        call.body.update(extras["extra_body"])
    if extras.get("timeout") is not None:
        call.timeout = check_timeout(extras["timeout"])
    if extras.get("max_retries") is not None:
        retries = int(extras["max_retries"])
        if retries < 0:
            raise InvalidRequestError(f"max_retries must be 0 or more, got {retries}.")
        call.max_retries = retries
    return call


def parse_json(model_cls: type[T], reply: Reply) -> T:
    """Parse a JSON reply into ``model_cls``; a malformed one raises a clear error."""
    return parse_body(model_cls, reply.content, reply.headers, reply.response)


def parse_body(
    model_cls: type[T],
    content: bytes,
    headers: Mapping[str, str],
    response: Callable[[], httpx.Response],
) -> T:
    """Parse a successful reply's body into ``model_cls`` and keep its headers on the result.

    ``response`` gives the reply as an ``httpx.Response``; it is called only when the body does
    not parse, for the error.
    """
    try:
        result = model_cls.model_validate_json(content)
    except ValidationError as exc:
        reply = response()
        raise APIResponseValidationError(
            f"The API answered {reply.status_code} with a body that is not a valid "
            f"{model_cls.__name__}: {exc.errors(include_url=False)[0]['msg']}. "
            "Retry, or report it if it persists.",
            request=reply.request,
            response=reply,
            body=reply.text[:2000],
        ) from None
    set_headers(result, headers)
    return result


def set_headers(result: BaseModel, headers: Mapping[str, str]) -> None:
    """Keep the reply's headers (rate-limit counters, request id) on the parsed object."""
    if isinstance(result, APIResponse):
        result._response_headers = headers


def make_status_error(response: httpx.Response) -> APIStatusError:
    """Map a 4xx/5xx reply to its error class, with a message that says what to do."""
    try:
        body: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        body = response.text
    detail = describe_error_body(body) or response.reason_phrase or "no details"
    cls = error_class_for(response.status_code, detail, body)
    hint = HINTS.get(cls, "")
    message = f"Error code: {response.status_code} - {detail}"
    if cls is NotFoundError and _missing_version_segment(response.request.url.path):
        hint = MISSING_V1_HINT
    if hint:
        message = f"{message.rstrip('. ')}. {hint}"
    wait = parse_retry_after(response.headers)
    if wait is not None:
        message = f"{message.rstrip('. ')}. The server asked to wait {wait:g} s (Retry-After)."
    error = cls(message, response=response, body=body)
    error.retry_after = wait
    return error


MISSING_V1_HINT = (
    "The base URL seems to lack its /v1 path segment: use "
    "https://api.tokenfactory.nebius.com/v1 (set NEBIUS_BASE_URL or pass base_url=... ending in "
    "/v1)."
)
_ENDPOINT_ROOTS = frozenset(
    {"chat", "completions", "embeddings", "images", "models", "rerank", "files", "batches"}
)


def _missing_version_segment(path: str) -> bool:
    """Whether a request path goes straight to an endpoint with no ``/v1`` (or ``/v2``...)
    before it: ``/chat/completions`` or ``/openai/chat/completions`` rather than
    ``/v1/chat/completions``."""
    parts = [part for part in path.split("/") if part]
    for i, part in enumerate(parts):
        if part in _ENDPOINT_ROOTS:
            before = parts[:i]
            return not any(p[:1] == "v" and p[1:].isdigit() for p in before)
    return False


def retry_delay_after_status(
    policy: RetryPolicy, attempt: int, response: httpx.Response
) -> float | None:
    """Seconds to wait before retrying a failed status, or ``None`` to raise now."""
    if not policy.should_retry_status(attempt, response.status_code, response.headers):
        return None
    delay = policy.delay(attempt, response.headers)
    logger.info(
        "Retrying %s %s after status %s in %.2fs (retry %d of %d)",
        response.request.method,
        response.request.url.path,
        response.status_code,
        delay,
        attempt + 1,
        policy.max_retries,
    )
    return delay


def retry_delay_after_error(
    policy: RetryPolicy, attempt: int, request: httpx.Request, exc: Exception
) -> float | None:
    """Seconds to wait before retrying a connection error or timeout, or ``None`` to raise."""
    if not policy.should_retry_exception(attempt):
        return None
    delay = policy.delay(attempt)
    logger.info(
        "Retrying %s %s after %s in %.2fs (retry %d of %d)",
        request.method,
        request.url.path,
        type(exc).__name__,
        delay,
        attempt + 1,
        policy.max_retries,
    )
    return delay


def connection_error(exc: Exception, request: httpx.Request, retries: int) -> APIConnectionError:
    """The error to raise once retries are used up; ``retries`` is how many were made."""
    tried = f" (after {retries} {'retry' if retries == 1 else 'retries'})" if retries else ""
    error: APIConnectionError
    if isinstance(exc, httpx.TimeoutException):
        error = APITimeoutError(
            f"The request to the Nebius API timed out{tried}. Raise `timeout` or retry later.",
            request=request,
        )
    else:
        url = request.url
        error = APIConnectionError(
            f"Could not reach the Nebius API at {url.scheme}://{url.netloc.decode()}{url.path}"
            f"{tried} ({type(exc).__name__}: {exc}). Check your network and base URL.",
            request=request,
        )
    if isinstance(exc, httpx.RequestError) and error.request is not None:
        exc.request = error.request  # the cause travels with the error: no key in it either
    return error


def check_stream_error(data: str, request: httpx.Request | None) -> None:
    """Raise :class:`APIStreamError` when a stream event carries an ``error`` payload."""
    if '"error"' not in data and '"detail"' not in data:
        return
    try:
        payload = json.loads(data)
    except ValueError:
        return
    if isinstance(payload, dict) and ("error" in payload or "detail" in payload):
        if payload.get("error") is None and "detail" not in payload:
            return
        raise APIStreamError(
            f"The API reported an error mid-stream: {describe_error_body(payload)}. "
            "The reply is incomplete; retry the request.",
            request=request,
            body=payload,
        )


# --- embeddings ------------------------------------------------------------------------------


def parse_embeddings(reply: Reply) -> CreateEmbeddingResponse:
    """Parse an embeddings reply, base64 or float (``CreateEmbeddingResponse.from_json``)."""
    try:
        result = CreateEmbeddingResponse.from_json(json.loads(reply.content))
    except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
        raise _unreadable_embeddings(reply, exc) from None
    set_headers(result, reply.headers)
    return result


def parse_embedding_vectors(reply: Reply, output: Output, expected: int | None = None) -> Any:
    """The vectors of an embeddings reply in input order, as lists, ``array('f')`` or one numpy
    block (see :mod:`nebius_inference._vectors`); the compact shapes build no Python float."""
    try:
        return decode_vectors(reply.content, output, expected)
    except (ValueError, KeyError, TypeError) as exc:
        raise _unreadable_embeddings(reply, exc) from None


def _unreadable_embeddings(reply: Reply, exc: Exception) -> APIResponseValidationError:
    response = reply.response()
    return APIResponseValidationError(
        f"The embeddings reply could not be read ({exc}). Retry, or report it if it persists.",
        request=response.request,
        response=response,
        body=response.text[:2000],
    )


def plan_batches(count: int, batch_size: int) -> list[range]:
    """Split ``count`` inputs into consecutive ranges of at most ``batch_size``."""
    if batch_size < 1:
        raise InvalidRequestError(f"batch_size must be at least 1, got {batch_size}.")
    return [range(start, min(start + batch_size, count)) for start in range(0, count, batch_size)]


BARE_STRING_MESSAGE = (
    "Expected a list of texts, got a single string (it would be embedded character by "
    "character): wrap it in a list, [text]."
)


def check_texts(texts: Iterable[Any]) -> list[str]:
    if isinstance(texts, str):
        raise InvalidRequestError(BARE_STRING_MESSAGE)
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise InvalidRequestError(f"texts[{i}] is {type(text).__name__}, not str.")
    return items


Parser = Callable[[httpx.Response], T]
