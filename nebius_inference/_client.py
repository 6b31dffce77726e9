"""``NebiusClient`` and ``AsyncNebiusClient``: thin I/O twins over the pure request builders.

The two classes sit side by side and differ only in ``send`` vs ``await send``, ``sleep`` vs
``await sleep`` and ``for`` vs ``async for``. Every decision (what to send, whether to retry, how
long to wait, how to read the reply) lives in ``_endpoints``, ``_base`` and ``_retry``.
"""

from __future__ import annotations

import contextlib
import time
import warnings
import weakref
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import httpx
from pydantic import BaseModel
from typing_extensions import Self, Unpack

from . import _endpoints as ep
from ._base import (
    RequestOptions,
    check_texts,
    connection_error,
    make_status_error,
    parse_body,
    parse_embeddings,
    parse_json,
    plan_batches,
    prepare_request,
    retry_delay_after_error,
    retry_delay_after_status,
    to_httpx_request,
)
from ._base import (
    default_headers as build_default_headers,
)
from ._config import Secret, Timeouts, env_proxy, resolve_options
from ._endpoints import CallOptions, FileInput
from ._logs import logger
from ._retry import RetryPolicy, effective_delay
from ._streaming import AsyncStream, Stream
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
EMBED_BATCH_SIZE = 128
EMBED_MAX_CONCURRENCY = 4
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


def _read_or_close(response: httpx.Response) -> None:
    """Read a whole reply; free its connection if reading fails."""
    try:
        response.read()
    except BaseException:
        response.close()
        raise


async def _aread_or_close(response: httpx.Response) -> None:
    try:
        await response.aread()
    except BaseException:
        await response.aclose()
        raise


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


class NebiusClient(_ClientBase):
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
        stream_idle_timeout: the longest silence allowed inside a stream (default 300 s).
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
            pacing=pacing,
        )
        self._owns_http = http_client is None
        # With our own pool, requests go straight to its transport: httpx.Client.send adds
        # auth, redirect and cookie handling we never use, and a cookie-jar pass per reply.
        self._transport: httpx.HTTPTransport | None = None
        self._pool: httpcore.ConnectionPool | None = None  # the transport's, for plain JSON calls
        if http_client is None:
            self._transport = httpx.HTTPTransport(
                limits=DEFAULT_LIMITS, proxy=env_proxy(self._options.base_url)
            )
            from ._httpcore import pool_of  # httpx imports httpcore only now, too

            self._pool = pool_of(self._transport)
            http_client = httpx.Client(transport=self._transport, follow_redirects=False)
            # A client dropped without close() still frees its sockets.
            weakref.finalize(self, http_client.close)
        self._http = http_client

    # -- plumbing ------------------------------------------------------------------------------

    @overload
    def _send(self, call: RequestOptions, whole: Literal[False] = ...) -> httpx.Response: ...
    @overload
    def _send(self, call: RequestOptions, whole: Literal[True]) -> httpx.Response | Reply: ...
    def _send(self, call: RequestOptions, whole: bool = False) -> httpx.Response | Reply:
        """Send ``call`` with retries. With ``whole=True`` a successful plain JSON call on our own
        pool comes back as a :class:`Reply` (no httpx objects built); anything else, and every
        reply that is not a success, as an ``httpx.Response``."""
        call.headers = {**self._headers, **call.headers}
        transport = self._transport
        pool = self._pool
        direct = pool is not None and not call.stream and call.files is None and not call.data
        prepared = prepare_request(self._options, call)
        # The direct path builds the httpx.Request only when it needs one.
        request = None if direct else to_httpx_request(prepared, None if transport else self._http)
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
                elif transport is None:
                    assert request is not None
                    response = self._http.send(request, stream=call.stream)
                else:
                    assert request is not None
                    response = transport.handle_request(request)
                    response.request = request
                    if not call.stream:
                        _read_or_close(response)
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
                if response.status_code < 400:
                    return response
                if call.stream:
                    response.read()
                    response.close()
                delay = retry_delay_after_status(policy, attempt, response)
                if delay is None:
                    raise make_status_error(response)
            time.sleep(effective_delay(delay))
            # A 429 over the limit waits in the pacer; a few of them do not use up retries.
            attempt += 0 if over and (paced := paced + 1) <= PACED_RETRIES else 1

    def _json(self, call: RequestOptions, model_cls: type[T]) -> T:
        reply = self._send(call, whole=True)
        if isinstance(reply, httpx.Response):
            return parse_json(model_cls, reply)
        return parse_body(model_cls, reply.content, reply.headers, reply.response)

    def _stream(self, call: RequestOptions, model_cls: type[T]) -> Stream[T]:
        return Stream(self._send(call), model_cls)

    # -- chat and completions ------------------------------------------------------------------

    def create_chat_completion(
        self, request: ChatCompletionRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> ChatCompletion:
        """``POST /chat/completions``. Pass a request, a mapping, or the fields as keywords;
        unknown fields (``top_k``, ``guided_json``, ...) pass through."""
        return self._json(ep.chat(request, params, stream=False), ChatCompletion)

    def stream_chat_completion(
        self, request: ChatCompletionRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> Stream[ChatCompletionChunk]:
        """Stream a chat completion. Usage comes in the last chunk unless
        ``stream_options={"include_usage": False}``."""
        return self._stream(ep.chat(request, params, stream=True), ChatCompletionChunk)

    def create_completion(
        self, request: CompletionRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> Completion:
        """``POST /completions`` (text completion)."""
        return self._json(ep.completion(request, params, stream=False), Completion)

    def stream_completion(
        self, request: CompletionRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> Stream[Completion]:
        """Stream a text completion."""
        return self._stream(ep.completion(request, params, stream=True), Completion)

    # -- embeddings, images, models, rerank ----------------------------------------------------

    def create_embeddings(
        self, request: EmbeddingRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> CreateEmbeddingResponse:
        """``POST /embeddings``. Asks for base64 (unless you set ``encoding_format``) and decodes
        it: the vectors are always lists of floats."""
        return parse_embeddings(self._send(ep.embeddings(request, params)))

    def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        batch_size: int = EMBED_BATCH_SIZE,
        max_concurrency: int = EMBED_MAX_CONCURRENCY,
        **params: Any,
    ) -> list[list[float]]:
        """Embed many texts: split into batches of ``batch_size``, at most ``max_concurrency``
        requests in flight, vectors returned in input order."""
        items = check_texts(texts)
        batches = plan_batches(len(items), batch_size)
        self._pacer.expect(model, len(batches), sum(map(len, items)) / 4)

        def run(span: range) -> list[list[float]]:
            call = ep.embeddings(
                None, {"model": model, "input": items[span.start : span.stop], **params}
            )
            return parse_embeddings(self._send(call)).vectors()

        if len(batches) <= 1 or max_concurrency <= 1:
            results = [run(span) for span in batches]
        else:
            from concurrent.futures import ThreadPoolExecutor  # only when needed: import time

            with ThreadPoolExecutor(max_workers=min(max_concurrency, len(batches))) as pool:
                results = list(pool.map(run, batches))
        return [vector for part in results for vector in part]

    def generate_images(
        self, request: ImageGenerationRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> ImagesResponse:
        """``POST /images/generations``. Sizes are checked against the API's limits first."""
        return self._json(ep.images(request, params), ImagesResponse)

    def list_models(self, *, verbose: bool = False, **options: Unpack[CallOptions]) -> ModelList:
        """``GET /models``; ``verbose=True`` adds context length, pricing and features."""
        return self._json(ep.list_models(verbose, options), ModelList)

    def rerank(
        self, request: RerankRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> RerankResponse:
        """``POST /rerank``: score ``documents`` against ``query``."""
        return self._json(ep.rerank(request, params), RerankResponse)

    # -- files ---------------------------------------------------------------------------------

    def upload_file(
        self,
        file: FileInput,
        *,
        purpose: Literal["batch", "fine-tune"] = "batch",
        filename: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileObject:
        """``POST /files``: upload bytes, a path, or a binary file object."""
        return self._json(ep.upload_file(file, purpose, filename, options), FileObject)

    def get_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileObject:
        return self._json(ep.file_call("GET", file_id, "", options), FileObject)

    def get_file_content(self, file_id: str, **options: Unpack[CallOptions]) -> bytes:
        """The raw bytes of a file (for example a batch's output JSONL)."""
        return self._send(ep.file_call("GET", file_id, "/content", options)).content

    def list_files(
        self,
        *,
        purpose: str | None = None,
        limit: int | None = None,
        after: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileList:
        return self._json(ep.list_files(purpose, limit, after, options), FileList)

    def delete_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileDeleted:
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
        """``POST /batches`` (``metadata`` and ``override_settings`` pass as keywords)."""
        return self._json(
            ep.create_batch(input_file_id, endpoint, completion_window, params), Batch
        )

    def get_batch(self, batch_id: str, **options: Unpack[CallOptions]) -> Batch:
        return self._json(ep.batch_call("GET", batch_id, "", options), Batch)

    def list_batches(
        self, *, limit: int | None = None, after: str | None = None, **options: Unpack[CallOptions]
    ) -> BatchList:
        return self._json(ep.list_batches(limit, after, options), BatchList)

    def cancel_batch(self, batch_id: str, **options: Unpack[CallOptions]) -> Batch:
        return self._json(ep.batch_call("POST", batch_id, "/cancel", options), Batch)

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (not a pool you passed in as ``http_client``)."""
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
    transport: httpx.AsyncBaseTransport
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
    transport = getattr(pool.http, "_transport", None)
    session: Any = getattr(transport, "client", None)
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
        if session is not None:
            session.detach()


class AsyncNebiusClient(_ClientBase):
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
            pacing=pacing,
        )
        self._user_http = http_client
        self._pools: dict[int, _LoopPool] = {}

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

        http, transport, session = make_pool(DEFAULT_LIMITS, env_proxy(self._options.base_url))
        closer = _close_with_loop(key, self._pools, http)
        await closer.__anext__()
        pool = _LoopPool(weakref.ref(loop), http, transport, session, closer)
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

        # With our own pool, plain JSON calls go straight through its aiohttp session, and
        # streams and uploads straight to its transport (see NebiusClient._send and _aiohttp).
        pool = None if self._user_http is not None else await self._get_pool()
        http = pool.http if pool is not None else self._user_http
        assert http is not None
        transport = None if pool is None else pool.transport
        direct = pool is not None and not call.stream and call.files is None and not call.data
        call.headers = {**self._headers, **call.headers}
        prepared = prepare_request(self._options, call)
        # The direct path builds the httpx.Request only when it needs one.
        request = None if direct else to_httpx_request(prepared, None if transport else http)
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
                elif transport is None:
                    assert request is not None
                    response = await http.send(request, stream=call.stream)
                else:
                    assert request is not None
                    response = await transport.handle_async_request(request)
                    response.request = request
                    if not call.stream:
                        await _aread_or_close(response)
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
                if response.status_code < 400:
                    return response
                if call.stream:
                    await response.aread()
                    await response.aclose()
                delay = retry_delay_after_status(policy, attempt, response)
                if delay is None:
                    raise make_status_error(response)
            await asyncio.sleep(effective_delay(delay))
            attempt += 0 if over and (paced := paced + 1) <= PACED_RETRIES else 1

    async def _json(self, call: RequestOptions, model_cls: type[T]) -> T:
        reply = await self._send(call, whole=True)
        if isinstance(reply, httpx.Response):
            return parse_json(model_cls, reply)
        return parse_body(model_cls, reply.content, reply.headers, reply.response)

    async def _stream(self, call: RequestOptions, model_cls: type[T]) -> AsyncStream[T]:
        return AsyncStream(await self._send(call), model_cls)

    # -- chat and completions ------------------------------------------------------------------

    async def create_chat_completion(
        self, request: ChatCompletionRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> ChatCompletion:
        """``POST /chat/completions``; see :meth:`NebiusClient.create_chat_completion`."""
        return await self._json(ep.chat(request, params, stream=False), ChatCompletion)

    async def stream_chat_completion(
        self, request: ChatCompletionRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> AsyncStream[ChatCompletionChunk]:
        """Stream a chat completion: ``async with await client.stream_chat_completion(...)``."""
        return await self._stream(ep.chat(request, params, stream=True), ChatCompletionChunk)

    async def create_completion(
        self, request: CompletionRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> Completion:
        return await self._json(ep.completion(request, params, stream=False), Completion)

    async def stream_completion(
        self, request: CompletionRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> AsyncStream[Completion]:
        return await self._stream(ep.completion(request, params, stream=True), Completion)

    # -- embeddings, images, models, rerank ----------------------------------------------------

    async def create_embeddings(
        self, request: EmbeddingRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> CreateEmbeddingResponse:
        return parse_embeddings(await self._send(ep.embeddings(request, params)))

    async def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        batch_size: int = EMBED_BATCH_SIZE,
        max_concurrency: int = EMBED_MAX_CONCURRENCY,
        **params: Any,
    ) -> list[list[float]]:
        """Embed many texts; see :meth:`NebiusClient.embed`."""
        import asyncio

        items = check_texts(texts)
        batches = plan_batches(len(items), batch_size)
        self._pacer.expect(model, len(batches), sum(map(len, items)) / 4)
        gate = asyncio.Semaphore(max(1, max_concurrency))

        async def run(span: range) -> list[list[float]]:
            call = ep.embeddings(
                None, {"model": model, "input": items[span.start : span.stop], **params}
            )
            async with gate:
                return parse_embeddings(await self._send(call)).vectors()

        results = await asyncio.gather(*(run(span) for span in batches))
        return [vector for part in results for vector in part]

    async def generate_images(
        self, request: ImageGenerationRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> ImagesResponse:
        return await self._json(ep.images(request, params), ImagesResponse)

    async def list_models(
        self, *, verbose: bool = False, **options: Unpack[CallOptions]
    ) -> ModelList:
        return await self._json(ep.list_models(verbose, options), ModelList)

    async def rerank(
        self, request: RerankRequest | Mapping[str, Any] | None = None, /, **params: Any
    ) -> RerankResponse:
        return await self._json(ep.rerank(request, params), RerankResponse)

    # -- files ---------------------------------------------------------------------------------

    async def upload_file(
        self,
        file: FileInput,
        *,
        purpose: Literal["batch", "fine-tune"] = "batch",
        filename: str | None = None,
        **options: Unpack[CallOptions],
    ) -> FileObject:
        return await self._json(ep.upload_file(file, purpose, filename, options), FileObject)

    async def get_file(self, file_id: str, **options: Unpack[CallOptions]) -> FileObject:
        return await self._json(ep.file_call("GET", file_id, "", options), FileObject)

    async def get_file_content(self, file_id: str, **options: Unpack[CallOptions]) -> bytes:
        return (await self._send(ep.file_call("GET", file_id, "/content", options))).content

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
