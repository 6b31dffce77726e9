"""``NebiusClient`` and ``AsyncNebiusClient``: thin I/O twins over the pure request builders.

The two classes sit side by side and differ only in ``send`` vs ``await send``, ``sleep`` vs
``await sleep`` and ``for`` vs ``async for``. Every decision (what to send, whether to retry, how
long to wait, how to read the reply) lives in ``_endpoints``, ``_base`` and ``_retry``.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
import weakref
from collections import deque
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

import httpx
from pydantic import BaseModel
from typing_extensions import Self, Unpack

from . import _endpoints as ep
from ._base import (
    MISSING_V1_HINT,
    RequestOptions,
    connection_error,
    make_status_error,
    parse_body,
    parse_embeddings,
    parse_json,
    prepare_request,
    retry_delay_after_error,
    retry_delay_after_status,
    to_httpx_request,
)
from ._base import (
    default_headers as build_default_headers,
)
from ._config import Secret, Timeouts, env_proxy, resolve_options
from ._download import ResumePoint
from ._embed import AsyncEmbeddings, SyncEmbeddings
from ._endpoints import CallOptions, FileInput
from ._errors import APIStatusError, NotFoundError
from ._logs import logger
from ._params import ChatCall, CompletionCall, EmbeddingCall, ImagesCall, RerankCall
from ._retry import RetryPolicy, effective_delay
from ._streaming import ORPHANS, AsyncStream, OpenStreams, Stream, in_collector
from .pacing import Pacer, Pacing, apace, pace
from .types import (
    Batch,
    BatchList,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Completion,
    CompletionRequest,
    CreateEmbeddingResponse,
    EmbeddingRequest,
    FileDeleted,
    FileList,
    FileObject,
    ImageGenerationRequest,
    ImagesResponse,
    ModelList,
    RerankRequest,
    RerankResponse,
)

if TYPE_CHECKING:
    import asyncio

    import aiohttp
    import httpcore

    from ._reply import Reply

__all__ = ["AsyncNebiusClient", "NebiusClient"]

T = TypeVar("T", bound=BaseModel)

DEFAULT_LIMITS = httpx.Limits(
    max_connections=256, max_keepalive_connections=64, keepalive_expiry=30
)

# Pools a forked child inherited from its parent: referenced here so that nothing in the child
# ever finalises or closes them (see NebiusClient._after_fork).
INHERITED: list[object] = []

# Pools of clients the garbage collector dropped: closed before any client's next request (a
# close inside the collector could wait on a pool lock; see _streaming).
_DROPPED: deque[httpx.Client] = deque()


def _close_dropped(http: httpx.Client) -> None:
    if in_collector():
        _DROPPED.append(http)
    else:
        http.close()


PACED_RETRIES = 8  # 429s over the rate limit retried on top of max_retries, per call


class _ClientBase:
    """Settings and the request builders shared by both clients."""

    def __init__(
        self,
        *,
        api_key: str | Secret | None,
        base_url: str | None,
        timeout: float | Timeouts | None,
        max_retries: int | None,
        default_headers: Mapping[str, str] | None,
        ai_project_id: str | None,
        stream_idle_timeout: float | None,
        allow_insecure_http: bool | None = None,
        pacing: bool | Pacing = True,
    ) -> None:
        self._pacer = Pacer(pacing)
        self._options = resolve_options(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            ai_project_id=ai_project_id,
            stream_idle_timeout=stream_idle_timeout,
            allow_insecure_http=allow_insecure_http,
        )
        self._policy = RetryPolicy(max_retries=self._options.max_retries)
        self._headers = build_default_headers(self._options)

    @property
    def base_url(self) -> str:
        return self._options.base_url

    @property
    def max_retries(self) -> int:
        return self._options.max_retries

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._policy

    def _policy_for(self, call: RequestOptions) -> RetryPolicy:
        if call.max_retries is None or call.max_retries == self._policy.max_retries:
            return self._policy
        return replace(self._policy, max_retries=call.max_retries)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._options.base_url!r})"

    def __reduce__(self) -> Any:
        raise TypeError(
            f"{type(self).__name__} cannot be pickled (it holds an API key and open connections); "
            "create a new client where you need one."
        )


def _redirect_error(response: httpx.Response) -> APIStatusError:
    location = response.headers.get("location", "")
    return APIStatusError(
        f"Error code: {response.status_code} - the server redirects to {location!r}. The "
        "client does not follow redirects (one could carry the API key to another host): set "
        "base_url to the address you mean.",
        response=response,
        body=None,
    )


def _fields(params: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments as the plain dict they are at run time (unknown ones included)."""
    return cast("dict[str, Any]", params)


def _model_of(call: RequestOptions, error: NotFoundError) -> str | None:
    """The model a 404 may be about: the request's ``model``, unless the base URL is at fault."""
    model = call.body.get("model") if call.body else None
    if not isinstance(model, str) or MISSING_V1_HINT in error.message:
        return None
    return model


def _add_hint(error: NotFoundError, model: str, listing: ModelList) -> None:
    from .catalog import not_found_hint  # on this error path only: not at import

    hint = not_found_hint(model, listing.data)
    if hint:
        error.message = f"{error.message.rstrip()} {hint}"
        error.args = (error.message, *error.args[1:])


def _log_response(response: httpx.Response, started: float) -> None:
    if logger.isEnabledFor(20):
        logger.info(
            "%s %s -> %s in %.1f ms",
            response.request.method,
            response.request.url.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )


# ============================================================================================
# Sync
# ============================================================================================


class NebiusClient(_ClientBase, SyncEmbeddings):
    """A client for the Nebius AI Studio / Token Factory inference API.

    Args:
        api_key: the key; defaults to ``NEBIUS_API_KEY``.
        base_url: defaults to ``NEBIUS_BASE_URL`` (or ``NEBIUS_API_BASE``), then
            ``https://api.tokenfactory.nebius.com/v1``.
        timeout: seconds for each connect/read/write (default 600), or a :class:`Timeouts`.
        max_retries: retries of connection errors, timeouts, 408, 409, 429 and 5xx (default 2).
        default_headers: headers sent with every request.
        http_client: your own ``httpx.Client`` (for proxies, custom TLS, mock transports).
        ai_project_id: sent as the ``ai_project_id`` query parameter on every request.
        stream_idle_timeout: the longest time a stream may send nothing at all (default 300 s);
            keep-alive comments count as something.
        allow_insecure_http: allow a plain ``http://`` base URL to a host that is not loopback
            (the key then crosses the network unencrypted); also ``NEBIUS_ALLOW_INSECURE_HTTP=1``.
        pacing: ``True`` (default) paces requests by the server's rate-limit headers;
            ``False`` never waits; ``Pacing(max_requests_per_minute=...,
            max_tokens_per_minute=...)`` also caps the rate by hand (:mod:`.pacing`).
    """

    def __init__(
        self,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        timeout: float | Timeouts | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        *,
        ai_project_id: str | None = None,
        stream_idle_timeout: float | None = None,
        allow_insecure_http: bool | None = None,
        pacing: bool | Pacing = True,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            ai_project_id=ai_project_id,
            stream_idle_timeout=stream_idle_timeout,
            allow_insecure_http=allow_insecure_http,
            pacing=pacing,
        )
        self._owns_http = http_client is None
        # Two routes: httpx.Client.send (every call on your client, and streams and uploads
        # on ours) and, on our own pool only, plain JSON calls straight through the
        # httpcore pool of its transport (see _httpcore). That pool is a private attribute of
        # httpx.HTTPTransport: without it, everything takes the public route.
        self._pool: httpcore.ConnectionPool | None = None
        self._closer: weakref.finalize[Any, Any] | None = None
        if http_client is None:
            http_client = self._open_pool()
        self._http = http_client
        self._streams = OpenStreams()
        self._pid = os.getpid()

    def _open_pool(self) -> httpx.Client:
        transport = httpx.HTTPTransport(
            limits=DEFAULT_LIMITS, proxy=env_proxy(self._options.base_url)
        )
        from ._httpcore import pool_of  # httpx imports httpcore only now, too

        self._pool = pool_of(transport)
        http_client = httpx.Client(transport=transport, follow_redirects=False)
        # A client dropped without close() still frees its sockets.
        self._closer = weakref.finalize(self, _close_dropped, http_client)
        return http_client

    def _after_fork(self) -> None:
        """In a forked child: open a pool of our own and leave the parent's connections alone.

        Sharing them would interleave both processes' requests on one socket, so a reply could
        reach the wrong process. The inherited pool is kept referenced and never closed (a
        close could end the parent's TLS sessions); only its memory stays in the child.
        """
        INHERITED.append((self._http, self._streams))
        self._streams = OpenStreams()
        if self._owns_http:
            if self._closer is not None:
                self._closer.detach()
            self._http = self._open_pool()
        self._pid = os.getpid()

    # -- plumbing ------------------------------------------------------------------------------

    @overload
    def _send(self, call: RequestOptions, whole: Literal[False] = ...) -> httpx.Response: ...
    @overload
    def _send(self, call: RequestOptions, whole: Literal[True]) -> httpx.Response | Reply: ...
    def _send(self, call: RequestOptions, whole: bool = False) -> httpx.Response | Reply:
        """Send ``call`` with retries. With ``whole=True`` a successful plain JSON call on our own
        pool comes back as a :class:`Reply` (no httpx objects built); anything else, and every
        reply that is not a success, as an ``httpx.Response``."""
        if self._pid != os.getpid():
            self._after_fork()
        if self._streams._parked or ORPHANS._parked or _DROPPED:
            self._streams.drain()
            ORPHANS.drain()
            with contextlib.suppress(IndexError):  # another thread may empty it first
                while _DROPPED:
                    _DROPPED.popleft().close()
        call.headers = {**self._headers, **call.headers}
        pool = self._pool
        direct = pool is not None and not call.stream and call.files is None and not call.data
        prepared = prepare_request(self._options, call)
        # The direct path builds the httpx.Request only when it needs one.
        own = None if self._owns_http else self._http
        request = None if direct else to_httpx_request(prepared, own)
        policy = self._policy_for(call)
        attempt = paced = 0
        while True:
            permit = pace(self._pacer, call.body)
            started = time.perf_counter()
            try:
                if direct:
                    from ._httpcore import send_direct  # already imported by __init__

                    assert pool is not None
                    reply = send_direct(pool, prepared)
                    over = self._pacer.settle(
                        permit, call.body, reply.status, reply.headers, reply.content
                    )
                    if whole and reply.plain and not logger.isEnabledFor(20):
                        return reply
                    request = request or to_httpx_request(prepared)
                    response = reply.response(request)
                else:
                    assert request is not None
                    response = self._http.send(request, stream=call.stream)
            except httpx.TransportError as exc:
                over = self._pacer.settle(permit, call.body, 0, None)
                request = request or to_httpx_request(prepared)
                delay = retry_delay_after_error(policy, attempt, request, exc)
                if delay is None:
                    raise connection_error(exc, request, attempt) from exc
            else:
                if not direct:
                    body = None if call.stream else response.content
                    over = self._pacer.settle(
                        permit, call.body, response.status_code, response.headers, body
                    )
                _log_response(response, started)
                if response.status_code < 300:
                    return response
                if call.stream:
                    response.read()
                    response.close()
                if response.status_code < 400:
                    raise _redirect_error(response)
                delay = retry_delay_after_status(policy, attempt, response)
                if delay is None:
                    raise make_status_error(response)
            time.sleep(effective_delay(delay))
            # A 429 over the limit waits in the pacer; a few of them do not use up retries.
            attempt += 0 if over and (paced := paced + 1) <= PACED_RETRIES else 1

    def _json(self, call: RequestOptions, model_cls: type[T]) -> T:
        try:
            reply = self._send(call, whole=True)
        except NotFoundError as error:
            self._name_listed_models(call, error)
            raise
        if isinstance(reply, httpx.Response):
            return parse_json(model_cls, reply)
        return parse_body(model_cls, reply.content, reply.headers, reply.response)

    def _stream(self, call: RequestOptions, model_cls: type[T]) -> Stream[T]:
        try:
            return Stream(self._send(call), model_cls, self._streams)
        except NotFoundError as error:
            self._name_listed_models(call, error)
            raise

    def _name_listed_models(self, call: RequestOptions, error: NotFoundError) -> None:
        """Add the closest listed model ids to a 404 for a request naming a model (one
        ``GET /models``, on this error path only; a failure of that look-up is ignored)."""
        model = _model_of(call, error)
        if model is not None:
            try:
                _add_hint(error, model, self.list_models(max_retries=0))
            except Exception:  # the 404 is what the caller must see
                logger.debug("Listing models to explain a 404 failed", exc_info=True)

    # -- chat and completions ------------------------------------------------------------------

    def create_chat_completion(
        self,
        request: ChatCompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ChatCall],
    ) -> ChatCompletion:
        """``POST /chat/completions``.

        Args:
            request: a ``ChatCompletionRequest`` or a mapping of its fields (or neither).
            **params: the fields as keywords (``model``, ``messages``, ``temperature``, ...);
                they win over ``request``. Unknown fields (``top_k``, ``guided_json``, ...)
                pass through; ``extra_headers``, ``timeout`` and ``max_retries`` apply to this
                call only.

        Returns:
            The reply, with ``choices`` and ``usage``.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(ep.chat(request, _fields(params), stream=False), ChatCompletion)

    def stream_chat_completion(
        self,
        request: ChatCompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ChatCall],
    ) -> Stream[ChatCompletionChunk]:
        """Stream a chat completion; use the stream in a ``with`` block to free it early.

        Args:
            request: as in :meth:`create_chat_completion`.
            **params: as in :meth:`create_chat_completion`. Usage comes in the last chunk
                unless ``stream_options={"include_usage": False}``.

        Returns:
            A :class:`Stream` of ``ChatCompletionChunk``.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
            IncompleteStreamError: the stream ended before ``data: [DONE]`` (while iterating).
        """
        return self._stream(ep.chat(request, _fields(params), stream=True), ChatCompletionChunk)

    def create_completion(
        self,
        request: CompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[CompletionCall],
    ) -> Completion:
        """``POST /completions`` (text completion).

        Args:
            request: a ``CompletionRequest`` or a mapping of its fields (or neither).
            **params: the fields as keywords (``model``, ``prompt``, ``max_tokens``, ...).

        Returns:
            The reply, with ``choices`` and ``usage``.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(ep.completion(request, _fields(params), stream=False), Completion)

    def stream_completion(
        self,
        request: CompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[CompletionCall],
    ) -> Stream[Completion]:
        """Stream a text completion.

        Args:
            request: as in :meth:`create_completion`.
            **params: as in :meth:`create_completion`.

        Returns:
            A :class:`Stream` of ``Completion`` chunks.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._stream(ep.completion(request, _fields(params), stream=True), Completion)

    # -- embeddings, images, models, rerank ----------------------------------------------------

    def create_embeddings(
        self,
        request: EmbeddingRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[EmbeddingCall],
    ) -> CreateEmbeddingResponse:
        """``POST /embeddings``, one request.

        Args:
            request: an ``EmbeddingRequest`` or a mapping of its fields (or neither).
            **params: the fields as keywords (``model``, ``input``, ``dimensions``, ...).
                Asks for base64 unless you set ``encoding_format``, and decodes it.

        Returns:
            The reply; its vectors are always lists of floats (``.vectors()``).

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        call = ep.embeddings(request, _fields(params))
        try:
            return parse_embeddings(self._send(call))
        except NotFoundError as error:
            self._name_listed_models(call, error)
            raise

    def generate_images(
        self,
        request: ImageGenerationRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ImagesCall],
    ) -> ImagesResponse:
        """``POST /images/generations``.

        Args:
            request: an ``ImageGenerationRequest`` or a mapping of its fields (or neither).
            **params: the fields as keywords (``model``, ``prompt``, ``width``, ``height``,
                ...). Sizes are checked against the API's limits before sending.

        Returns:
            The generated images (``b64_json`` or ``url``).

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(ep.images(request, _fields(params)), ImagesResponse)

    def list_models(self, *, verbose: bool = False, **options: Unpack[CallOptions]) -> ModelList:
        """``GET /models``.

        Args:
            verbose: add each model's context length, pricing and features.
            **options: ``extra_headers``, ``timeout``, ``max_retries`` for this call.

        Returns:
            The models.

        Raises:
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(ep.list_models(verbose, options), ModelList)

    def rerank(
        self,
        request: RerankRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[RerankCall],
    ) -> RerankResponse:
        """``POST /rerank``: score ``documents`` against ``query``.

        Args:
            request: a ``RerankRequest`` or a mapping of its fields (or neither).
            **params: the fields as keywords (``model``, ``query``, ``documents``, ``top_n``).

        Returns:
            The results, best first, each with its document's ``index``.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(ep.rerank(request, _fields(params)), RerankResponse)

    # -- files ---------------------------------------------------------------------------------

    def upload_file(
        self,
        file: FileInput,
        *,
        purpose: Literal["batch", "fine-tune"] = "batch",
        filename: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileObject:
        """``POST /files``.

        Args:
            file: bytes, a path, or a binary file object (opened ``'rb'``). A path or a file
                object is sent from disk in chunks, never read whole into memory.
            purpose: ``"batch"`` (a JSONL batch input) or ``"fine-tune"``.
            filename: the name to upload under (defaults to the path's name).
            **options: ``extra_headers``, ``timeout``, ``max_retries`` for this call.

        Returns:
            The uploaded file's record.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        ep.check_purpose(purpose)
        with ep.upload_source(file, filename) as (name, content):
            return self._json(ep.upload_file(content, purpose, name, options), FileObject)

    def get_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileObject:
        """``GET /files/{file_id}``: the file's record.

        Raises:
            NotFoundError: no such file.
        """
        return self._json(ep.file_call("GET", file_id, "", options), FileObject)

    def get_file_content(self, file_id: str, **options: Unpack[CallOptions]) -> bytes:
        """The raw bytes of a file (for example a batch's output JSONL).

        Args:
            file_id: the file's id.
            **options: ``extra_headers``, ``timeout``, ``max_retries`` for this call.

        Returns:
            The file's content.

        Raises:
            NotFoundError: no such file.
            APIStatusError: another 4xx/5xx answer (after retries).
        """
        return self._send(ep.file_call("GET", file_id, "/content", options)).content

    def download_file_content(
        self,
        file_id: str,
        destination: str | os.PathLike[str],
        *,
        chunk_size: int = 1 << 20,
        **options: Unpack[CallOptions],
    ) -> int:
        """Write a file's raw bytes to ``destination`` in chunks, never whole in memory, and
        return how many. A download cut part-way continues with a ``Range`` request where the
        server supports it (``Accept-Ranges: bytes``), else starts that file again (up to
        ``max_retries`` times)."""
        attempt = 0
        resume = ResumePoint()
        while True:
            call = replace(ep.file_call("GET", file_id, "/content", options), stream=True)
            call.headers.update(resume.headers())
            response = self._send(call)
            try:
                start = resume.start(response.status_code, response.headers)
                if start is None:
                    raise httpx.RemoteProtocolError("a 206 reply for other bytes than asked")
                with open(destination, "r+b" if start else "wb", buffering=chunk_size) as out:
                    out.seek(start)
                    out.truncate()
                    try:
                        for chunk in response.iter_bytes():
                            out.write(chunk)
                    except httpx.TransportError:
                        resume.cut(out.tell())
                        raise
                    return out.tell()
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise connection_error(exc, response.request, attempt) from exc
            finally:
                response.close()
            time.sleep(effective_delay(self.retry_policy.delay(attempt)))
            attempt += 1

    def list_files(
        self,
        *,
        purpose: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileList:
        """``GET /files``, filtered by ``purpose``, a page of ``limit`` after the id ``after``."""
        return self._json(ep.list_files(purpose, limit, after, options), FileList)

    def delete_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileDeleted:
        """``DELETE /files/{file_id}``.

        Raises:
            NotFoundError: no such file.
        """
        return self._json(ep.file_call("DELETE", file_id, "", options), FileDeleted)

    # -- batches -------------------------------------------------------------------------------

    def create_batch(
        self,
        input_file_id: str,
        *,
        endpoint: Literal["/v1/chat/completions", "/v1/embeddings"] = "/v1/chat/completions",
        completion_window: Literal["24h"] = "24h",
        **params: Any,
    ) -> Batch:
        """``POST /batches``: start a batch over an uploaded JSONL file.

        Args:
            input_file_id: the uploaded input file (``purpose="batch"``).
            endpoint: the endpoint every line calls.
            completion_window: the API accepts ``"24h"``.
            **params: ``metadata``, ``override_settings`` and the per-call options.

        Returns:
            The batch, as created. ``nebius_inference.batch.run_batch`` does the whole job.

        Raises:
            InvalidRequestError: bad input, caught before anything is sent.
            APIError: the failure's subclass (status, connection, timeout), after retries.
        """
        return self._json(
            ep.create_batch(input_file_id, endpoint, completion_window, params), Batch
        )

    def get_batch(self, batch_id: str, **options: Unpack[CallOptions]) -> Batch:
        """``GET /batches/{batch_id}``: the batch's status and counts.

        Raises:
            NotFoundError: no such batch.
        """
        return self._json(ep.batch_call("GET", batch_id, "", options), Batch)

    def list_batches(
        self, *, limit: int | None = None, after: str | None = None, **options: Unpack[CallOptions]
    ) -> BatchList:
        """``GET /batches``: a page of ``limit`` batches after the id ``after``."""
        return self._json(ep.list_batches(limit, after, options), BatchList)

    def cancel_batch(self, batch_id: str, **options: Unpack[CallOptions]) -> Batch:
        """``POST /batches/{batch_id}/cancel``.

        Raises:
            NotFoundError: no such batch.
        """
        return self._json(ep.batch_call("POST", batch_id, "/cancel", options), Batch)

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (not a pool you passed in as ``http_client``)."""
        self._streams.close_all()
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# ============================================================================================
# Async
# ============================================================================================


@dataclass
class _LoopPool:
    """One connection pool per event loop; ``closer`` closes it when the loop shuts down."""

    loop: weakref.ref[asyncio.AbstractEventLoop]
    http: httpx.AsyncClient
    session: aiohttp.ClientSession
    closer: AsyncGenerator[None, None]


async def _close_with_loop(
    pool_key: int, pools: dict[int, _LoopPool], http: httpx.AsyncClient
) -> AsyncGenerator[None, None]:
    # The loop finalizes live async generators when it shuts down (``asyncio.run`` does), so
    # this ``finally`` closes the pool while its loop can still run the close.
    try:
        yield
    finally:
        pools.pop(pool_key, None)
        await http.aclose()


def _abandon(pool: _LoopPool) -> None:
    """Free a pool whose loop closed without shutting down its async generators.

    The loop can no longer run a clean close, so the sockets are closed directly; otherwise the
    garbage collector would find them open and warn. Only pools of dead loops come here.
    """
    session: Any = pool.session
    connector: Any = getattr(session, "connector", None)
    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        protocols = [proto for conns in connector._conns.values() for proto, _ in conns]
        protocols.extend(connector._acquired)
        for proto in protocols:
            sock_transport: Any = getattr(proto, "transport", None)
            sock = getattr(sock_transport, "_sock", None)
            if sock is not None:
                sock.close()
                sock_transport._sock = None
    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if connector is not None:
            connector._close()
    with contextlib.suppress(Exception):  # public: runs even when the private close is gone
        session.detach()


class AsyncNebiusClient(_ClientBase, AsyncEmbeddings):
    """The async twin of :class:`NebiusClient`, with the same methods and arguments.

    By default it sends through httpx with the aiohttp transport, which keeps its throughput at
    high concurrency. It works across event loops (``asyncio.run`` called repeatedly, notebooks,
    sync-over-async): each loop gets its own pool, closed when that loop shuts down. Pass your
    own ``httpx.AsyncClient`` as ``http_client`` to use it instead (you then own its lifetime).
    """

    def __init__(
        self,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        timeout: float | Timeouts | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        *,
        ai_project_id: str | None = None,
        stream_idle_timeout: float | None = None,
        allow_insecure_http: bool | None = None,
        pacing: bool | Pacing = True,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            ai_project_id=ai_project_id,
            stream_idle_timeout=stream_idle_timeout,
            allow_insecure_http=allow_insecure_http,
            pacing=pacing,
        )
        self._user_http = http_client
        self._pools: dict[int, _LoopPool] = {}
        self._pid = os.getpid()

    # -- plumbing ------------------------------------------------------------------------------

    async def _get_pool(self) -> _LoopPool:
        """This event loop's pool of our own, made on first use."""
        import asyncio  # asyncio is imported on first async use only: it costs ~35 ms

        loop = asyncio.get_running_loop()
        key = id(loop)
        pool = self._pools.get(key)
        if pool is not None and pool.loop() is loop:
            return pool
        for other_key, other in list(self._pools.items()):
            other_loop = other.loop()
            if other_loop is None or other_loop.is_closed():
                self._pools.pop(other_key, None)
                _abandon(other)
        from ._aiohttp import make_pool  # aiohttp is imported on first async use only

        http, session = make_pool(DEFAULT_LIMITS, env_proxy(self._options.base_url))
        closer = _close_with_loop(key, self._pools, http)
        await closer.__anext__()
        pool = _LoopPool(weakref.ref(loop), http, session, closer)
        self._pools[key] = pool
        return pool

    @overload
    async def _send(self, call: RequestOptions, whole: Literal[False] = ...) -> httpx.Response: ...
    @overload
    async def _send(self, call: RequestOptions, whole: Literal[True]) -> httpx.Response | Reply: ...
    async def _send(self, call: RequestOptions, whole: bool = False) -> httpx.Response | Reply:
        """Send ``call`` with retries. With ``whole=True`` a successful plain JSON call on our own
        pool comes back as a :class:`Reply` (no httpx objects built); anything else, and every
        reply that is not a success, as an ``httpx.Response``."""
        import asyncio

        if self._pid != os.getpid():
            # A forked child: keep the parent's pools referenced, never closed (see
            # NebiusClient._after_fork), and open new ones here.
            INHERITED.append(self._pools)
            self._pools = {}
            self._pid = os.getpid()
        # Two routes, as in NebiusClient._send: httpx.AsyncClient.send, and on our own pool
        # plain JSON calls straight through its aiohttp session (public aiohttp API).
        pool = None if self._user_http is not None else await self._get_pool()
        http = pool.http if pool is not None else self._user_http
        assert http is not None
        direct = pool is not None and not call.stream and call.files is None and not call.data
        call.headers = {**self._headers, **call.headers}
        prepared = prepare_request(self._options, call)
        # The direct path builds the httpx.Request only when it needs one.
        request = None if direct else to_httpx_request(prepared, None if pool else http)
        policy = self._policy_for(call)
        attempt = paced = 0
        while True:
            permit = await apace(self._pacer, call.body)
            started = time.perf_counter()
            try:
                if direct:
                    from ._aiohttp import send_direct  # already imported by _get_pool

                    assert pool is not None
                    reply = await send_direct(pool.session, prepared)
                    over = self._pacer.settle(
                        permit, call.body, reply.status, reply.headers, reply.content
                    )
                    if whole and reply.plain and not logger.isEnabledFor(20):
                        return reply
                    request = request or to_httpx_request(prepared)
                    response = reply.response(request)
                else:
                    assert request is not None
                    response = await http.send(request, stream=call.stream)
            except httpx.TransportError as exc:
                over = self._pacer.settle(permit, call.body, 0, None)
                request = request or to_httpx_request(prepared)
                delay = retry_delay_after_error(policy, attempt, request, exc)
                if delay is None:
                    raise connection_error(exc, request, attempt) from exc
            else:
                if not direct:
                    body = None if call.stream else response.content
                    over = self._pacer.settle(
                        permit, call.body, response.status_code, response.headers, body
                    )
                _log_response(response, started)
                if response.status_code < 300:
                    return response
                if call.stream:
                    await response.aread()
                    await response.aclose()
                if response.status_code < 400:
                    raise _redirect_error(response)
                delay = retry_delay_after_status(policy, attempt, response)
                if delay is None:
                    raise make_status_error(response)
            await asyncio.sleep(effective_delay(delay))
            attempt += 0 if over and (paced := paced + 1) <= PACED_RETRIES else 1

    async def _json(self, call: RequestOptions, model_cls: type[T]) -> T:
        try:
            reply = await self._send(call, whole=True)
        except NotFoundError as error:
            await self._name_listed_models(call, error)
            raise
        if isinstance(reply, httpx.Response):
            return parse_json(model_cls, reply)
        return parse_body(model_cls, reply.content, reply.headers, reply.response)

    async def _stream(self, call: RequestOptions, model_cls: type[T]) -> AsyncStream[T]:
        try:
            return AsyncStream(await self._send(call), model_cls)
        except NotFoundError as error:
            await self._name_listed_models(call, error)
            raise

    async def _name_listed_models(self, call: RequestOptions, error: NotFoundError) -> None:
        """The async twin of :meth:`NebiusClient._name_listed_models`."""
        model = _model_of(call, error)
        if model is not None:
            try:
                listing = await self.list_models(max_retries=0)
                _add_hint(error, model, listing)
            except Exception:  # the 404 is what the caller must see
                logger.debug("Listing models to explain a 404 failed", exc_info=True)

    # -- chat and completions ------------------------------------------------------------------

    async def create_chat_completion(
        self,
        request: ChatCompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ChatCall],
    ) -> ChatCompletion:
        """``POST /chat/completions``; see :meth:`NebiusClient.create_chat_completion`."""
        return await self._json(ep.chat(request, _fields(params), stream=False), ChatCompletion)

    async def stream_chat_completion(
        self,
        request: ChatCompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ChatCall],
    ) -> AsyncStream[ChatCompletionChunk]:
        """Stream a chat completion: ``async with await client.stream_chat_completion(...)``."""
        return await self._stream(
            ep.chat(request, _fields(params), stream=True), ChatCompletionChunk
        )

    async def create_completion(
        self,
        request: CompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[CompletionCall],
    ) -> Completion:
        return await self._json(ep.completion(request, _fields(params), stream=False), Completion)

    async def stream_completion(
        self,
        request: CompletionRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[CompletionCall],
    ) -> AsyncStream[Completion]:
        return await self._stream(ep.completion(request, _fields(params), stream=True), Completion)

    # -- embeddings, images, models, rerank ----------------------------------------------------

    async def create_embeddings(
        self,
        request: EmbeddingRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[EmbeddingCall],
    ) -> CreateEmbeddingResponse:
        call = ep.embeddings(request, _fields(params))
        try:
            return parse_embeddings(await self._send(call))
        except NotFoundError as error:
            await self._name_listed_models(call, error)
            raise

    async def generate_images(
        self,
        request: ImageGenerationRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[ImagesCall],
    ) -> ImagesResponse:
        return await self._json(ep.images(request, _fields(params)), ImagesResponse)

    async def list_models(
        self, *, verbose: bool = False, **options: Unpack[CallOptions]
    ) -> ModelList:
        return await self._json(ep.list_models(verbose, options), ModelList)

    async def rerank(
        self,
        request: RerankRequest | Mapping[str, Any] | None = None,
        /,
        **params: Unpack[RerankCall],
    ) -> RerankResponse:
        return await self._json(ep.rerank(request, _fields(params)), RerankResponse)

    # -- files ---------------------------------------------------------------------------------

    async def upload_file(
        self,
        file: FileInput,
        *,
        purpose: Literal["batch", "fine-tune"] = "batch",
        filename: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileObject:
        ep.check_purpose(purpose)
        with ep.upload_source(file, filename) as (name, content):
            return await self._json(ep.upload_file(content, purpose, name, options), FileObject)

    async def get_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileObject:
        return await self._json(ep.file_call("GET", file_id, "", options), FileObject)

    async def get_file_content(self, file_id: str, **options: Unpack[CallOptions]) -> bytes:
        return (await self._send(ep.file_call("GET", file_id, "/content", options))).content

    async def download_file_content(
        self,
        file_id: str,
        destination: str | os.PathLike[str],
        *,
        chunk_size: int = 1 << 20,
        **options: Unpack[CallOptions],
    ) -> int:
        """The async twin of :meth:`NebiusClient.download_file_content`."""
        attempt = 0
        resume = ResumePoint()
        while True:
            call = replace(ep.file_call("GET", file_id, "/content", options), stream=True)
            call.headers.update(resume.headers())
            response = await self._send(call)
            try:
                start = resume.start(response.status_code, response.headers)
                if start is None:
                    raise httpx.RemoteProtocolError("a 206 reply for other bytes than asked")
                with open(  # noqa: ASYNC230 (small local writes)
                    destination, "r+b" if start else "wb", buffering=chunk_size
                ) as out:
                    out.seek(start)
                    out.truncate()
                    try:
                        async for chunk in response.aiter_bytes():
                            out.write(chunk)
                    except httpx.TransportError:
                        resume.cut(out.tell())
                        raise
                    return out.tell()
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise connection_error(exc, response.request, attempt) from exc
            finally:
                await response.aclose()
            await _asleep(effective_delay(self.retry_policy.delay(attempt)))
            attempt += 1

    async def list_files(
        self,
        *,
        purpose: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileList:
        return await self._json(ep.list_files(purpose, limit, after, options), FileList)

    async def delete_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileDeleted:
        return await self._json(ep.file_call("DELETE", file_id, "", options), FileDeleted)

    # -- batches -------------------------------------------------------------------------------

    async def create_batch(
        self,
        input_file_id: str,
        *,
        endpoint: Literal["/v1/chat/completions", "/v1/embeddings"] = "/v1/chat/completions",
        completion_window: Literal["24h"] = "24h",
        **params: Any,
    ) -> Batch:
        call = ep.create_batch(input_file_id, endpoint, completion_window, params)
        return await self._json(call, Batch)

    async def get_batch(self, batch_id: str, **options: Unpack[CallOptions]) -> Batch:
        return await self._json(ep.batch_call("GET", batch_id, "", options), Batch)

    async def list_batches(
        self, *, limit: int | None = None, after: str | None = None, **options: Unpack[CallOptions]
    ) -> BatchList:
        return await self._json(ep.list_batches(limit, after, options), BatchList)

    async def cancel_batch(self, batch_id: str, **options: Unpack[CallOptions]) -> Batch:
        return await self._json(ep.batch_call("POST", batch_id, "/cancel", options), Batch)

    # -- lifetime ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close this loop's pool now (pools of other loops close when their loop shuts down)."""
        import asyncio

        loop = asyncio.get_running_loop()
        pool = self._pools.get(id(loop))
        if pool is not None and pool.loop() is loop:
            await pool.closer.aclose()
        for key, other in list(self._pools.items()):
            other_loop = other.loop()
            if other_loop is None or other_loop.is_closed():
                self._pools.pop(key, None)
                _abandon(other)

    close = aclose

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def _asleep(seconds: float) -> None:
    import asyncio  # only where a download is retried: importing the client stays light

    await asyncio.sleep(seconds)
