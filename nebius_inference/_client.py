"""``NebiusClient`` and ``AsyncNebiusClient``: thin I/O twins over the pure request builders.

The two classes sit side by side and differ only in ``send`` vs ``await send`` and ``sleep`` vs
``await sleep``. Every decision (what to send, whether to retry, how long to wait, how to read
the reply) lives in ``_endpoints``, ``_base`` and ``_retry``; the route a request takes lives
in the client's transport (``_transport``), which returns one kind of reply (``_reply.Reply``)
for every route; the endpoint methods are in ``_sync_methods`` and ``_async_methods``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel
from typing_extensions import Self

from ._async_methods import AsyncMethods
from ._base import (
    MISSING_V1_HINT,
    RequestOptions,
    connection_error,
    make_status_error,
    parse_json,
    prepare_request,
    retry_delay_after_error,
    retry_delay_after_status,
)
from ._base import (
    default_headers as build_default_headers,
)
from ._config import Secret, Timeouts, resolve_options
from ._embed import AsyncEmbeddings, SyncEmbeddings
from ._errors import APIStatusError, NotFoundError
from ._logs import logger
from ._reply import Reply
from ._retry import RetryPolicy, effective_delay
from ._streaming import ORPHANS, AsyncStream, OpenStreams, Stream
from ._sync_methods import SyncMethods
from ._transport import _DROPPED, INHERITED, AsyncTransport, SyncTransport, close_dropped
from .pacing import Pacer, Pacing, apace, pace
from .types import ModelList

__all__ = ["AsyncNebiusClient", "NebiusClient"]

T = TypeVar("T", bound=BaseModel)

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


def _log_reply(reply: Reply, started: float) -> None:
    if logger.isEnabledFor(20):
        request = reply.request
        logger.info(
            "%s %s -> %s in %.1f ms",
            request.method,
            request.url.path,
            reply.status,
            (time.perf_counter() - started) * 1000,
        )


# ============================================================================================
# Sync
# ============================================================================================


class NebiusClient(_ClientBase, SyncMethods, SyncEmbeddings):
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
        # One transport: our own pool (plain JSON calls take its fast path) or your client.
        self._transport = SyncTransport(self._options.base_url, http_client)
        self._streams = OpenStreams()
        self._pid = os.getpid()

    def _after_fork(self) -> None:
        """In a forked child: open a pool of our own and leave the parent's connections alone.

        Sharing them would interleave both processes' requests on one socket, so a reply could
        reach the wrong process. The inherited pool is kept referenced and never closed (a
        close could end the parent's TLS sessions); only its memory stays in the child.
        """
        INHERITED.append(self._streams)
        self._streams = OpenStreams()
        self._transport.after_fork()
        self._pid = os.getpid()

    # -- plumbing ------------------------------------------------------------------------------

    def _send(self, call: RequestOptions) -> Reply:
        """Send ``call`` with retries and return the successful reply (a stream's still open);
        a reply that is not a success raises its error once retries are used up."""
        if self._pid != os.getpid():
            self._after_fork()
        if self._streams._parked or ORPHANS._parked or _DROPPED:
            self._streams.drain()
            ORPHANS.drain()
            close_dropped()
        call.headers = {**self._headers, **call.headers}
        prepared = prepare_request(self._options, call)
        transport = self._transport
        stream = call.stream
        policy = self._policy_for(call)
        attempt = paced = 0
        while True:
            permit = pace(self._pacer, call.body)
            started = time.perf_counter()
            try:
                reply = transport.send(prepared, stream)
            except httpx.TransportError as exc:
                over = self._pacer.settle(permit, call.body, 0, None)
                request = transport.request(prepared)
                delay = retry_delay_after_error(policy, attempt, request, exc)
                if delay is None:
                    raise connection_error(exc, request, attempt) from exc
            else:
                body = None if stream else reply.content
                over = self._pacer.settle(permit, call.body, reply.status, reply.headers, body)
                _log_reply(reply, started)
                if reply.status < 300:
                    return reply
                response = reply.response()
                if stream:
                    response.read()
                    response.close()
                if reply.status < 400:
                    raise _redirect_error(response)
                delay = retry_delay_after_status(policy, attempt, response)
                if delay is None:
                    raise make_status_error(response)
            time.sleep(effective_delay(delay))
            # A 429 over the limit waits in the pacer; a few of them do not use up retries.
            attempt += 0 if over and (paced := paced + 1) <= PACED_RETRIES else 1

    def _json(self, call: RequestOptions, model_cls: type[T]) -> T:
        try:
            reply = self._send(call)
        except NotFoundError as error:
            self._name_listed_models(call, error)
            raise
        return parse_json(model_cls, reply)

    def _stream(self, call: RequestOptions, model_cls: type[T]) -> Stream[T]:
        try:
            return Stream(self._send(call).response(), model_cls, self._streams)
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

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (not a pool you passed in as ``http_client``)."""
        self._streams.close_all()
        self._transport.close()

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


class AsyncNebiusClient(_ClientBase, AsyncMethods, AsyncEmbeddings):
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
        self._transport = AsyncTransport(self._options.base_url, http_client)
        self._pid = os.getpid()

    # -- plumbing ------------------------------------------------------------------------------

    async def _send(self, call: RequestOptions) -> Reply:
        """The async twin of :meth:`NebiusClient._send`."""
        import asyncio  # asyncio is imported on first async use only: it costs ~35 ms

        if self._pid != os.getpid():
            # A forked child: the parent's pools stay referenced, never closed (see
            # NebiusClient._after_fork), and new ones open here.
            self._transport.after_fork()
            self._pid = os.getpid()
        call.headers = {**self._headers, **call.headers}
        prepared = prepare_request(self._options, call)
        transport = self._transport
        stream = call.stream
        policy = self._policy_for(call)
        attempt = paced = 0
        while True:
            permit = await apace(self._pacer, call.body)
            started = time.perf_counter()
            try:
                reply = await transport.send(prepared, stream)
            except httpx.TransportError as exc:
                over = self._pacer.settle(permit, call.body, 0, None)
                request = transport.request(prepared)
                delay = retry_delay_after_error(policy, attempt, request, exc)
                if delay is None:
                    raise connection_error(exc, request, attempt) from exc
            else:
                body = None if stream else reply.content
                over = self._pacer.settle(permit, call.body, reply.status, reply.headers, body)
                _log_reply(reply, started)
                if reply.status < 300:
                    return reply
                response = reply.response()
                if stream:
                    await response.aread()
                    await response.aclose()
                if reply.status < 400:
                    raise _redirect_error(response)
                delay = retry_delay_after_status(policy, attempt, response)
                if delay is None:
                    raise make_status_error(response)
            await asyncio.sleep(effective_delay(delay))
            attempt += 0 if over and (paced := paced + 1) <= PACED_RETRIES else 1

    async def _json(self, call: RequestOptions, model_cls: type[T]) -> T:
        try:
            reply = await self._send(call)
        except NotFoundError as error:
            await self._name_listed_models(call, error)
            raise
        return parse_json(model_cls, reply)

    async def _stream(self, call: RequestOptions, model_cls: type[T]) -> AsyncStream[T]:
        try:
            return AsyncStream((await self._send(call)).response(), model_cls)
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

    # -- lifetime ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close this loop's pool now (pools of other loops close when their loop shuts down)."""
        await self._transport.aclose()

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
