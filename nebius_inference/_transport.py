"""How each client reaches the server: one transport object per client, sync and async side by
side, with one method that sends a prepared request and returns a :class:`Reply`.

The transport owns the choice of route, so the clients' retry loops have none:

- on your own ``http_client``, everything goes through its public ``send``;
- on our own pool, plain JSON calls take the pool's fast path (``_httpcore``: the ``httpcore``
  pool of our ``httpx.HTTPTransport``; ``_aiohttp``: the pool's ``aiohttp.ClientSession``), and
  streams and uploads go through ``httpx.Client.send`` / ``httpx.AsyncClient.send`` on the same
  connections. If httpx ever keeps its pool where ``_httpcore.pool_of`` cannot find it, every
  sync call takes the public route.

It also owns the pools' lifetimes: the finaliser of a sync pool dropped without ``close()``, the
async pools (one per event loop, closed when their loop shuts down), and the pools a forked
child inherits (kept referenced in :data:`INHERITED`, never closed).
"""

from __future__ import annotations

import contextlib
import warnings
import weakref
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from ._base import PreparedRequest, httpx_request
from ._config import env_proxy
from ._reply import Reply
from ._streaming import in_collector

if TYPE_CHECKING:
    import asyncio

    import aiohttp
    import httpcore

__all__ = ["DEFAULT_LIMITS", "INHERITED", "AsyncTransport", "SyncTransport", "close_dropped"]

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


def close_dropped() -> None:
    """Close the pools the collector parked (outside it: here we hold no lock)."""
    with contextlib.suppress(IndexError):  # another thread may empty it first
        while _DROPPED:
            _DROPPED.popleft().close()


def _whole_json(prepared: PreparedRequest, stream: bool) -> bool:
    """Whether a call may take a pool's fast path: not a stream, not a form or an upload."""
    return not stream and prepared.files is None and not prepared.data


# ============================================================================================
# Sync
# ============================================================================================


class SyncTransport:
    """The routes of one :class:`~nebius_inference.NebiusClient`: our own pool (``http`` and, if
    it can be reached, its ``pool``) or the caller's ``httpx.Client``."""

    __slots__ = ("__weakref__", "_base_url", "_closer", "_direct", "http", "owns", "pool")

    def __init__(self, base_url: str, http_client: httpx.Client | None) -> None:
        self._base_url = base_url
        self.owns = http_client is None
        self.pool: httpcore.ConnectionPool | None = None
        self._direct: Callable[[httpcore.ConnectionPool, PreparedRequest], Reply] | None = None
        self._closer: weakref.finalize[Any, Any] | None = None
        self.http = http_client if http_client is not None else self._open()

    def _open(self) -> httpx.Client:
        transport = httpx.HTTPTransport(limits=DEFAULT_LIMITS, proxy=env_proxy(self._base_url))
        from ._httpcore import pool_of, send_direct  # httpx imports httpcore only now, too

        self.pool = pool_of(transport)
        self._direct = send_direct
        http = httpx.Client(transport=transport, follow_redirects=False)
        # A client dropped without close() still frees its sockets.
        self._closer = weakref.finalize(self, _close_dropped, http)
        return http

    def send(self, prepared: PreparedRequest, stream: bool) -> Reply:
        """One attempt. Raises httpx's transport errors; a stream's reply is still open."""
        pool = self.pool
        if pool is not None and _whole_json(prepared, stream):
            assert self._direct is not None
            return self._direct(pool, prepared)
        return Reply.of(prepared, self.http.send(self.request(prepared), stream=stream))

    def request(self, prepared: PreparedRequest) -> httpx.Request:
        """The ``httpx.Request`` for ``prepared``, as this route builds it."""
        return httpx_request(prepared, None if self.owns else self.http)

    def after_fork(self) -> None:
        """Keep the parent's pool referenced, never closed, and open one of our own."""
        INHERITED.append(self.http)
        if self.owns:
            if self._closer is not None:
                self._closer.detach()
            self.http = self._open()

    def close(self) -> None:
        if self.owns:
            self.http.close()


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


# Closes of dropped clients' pools, running on their loops (a task must stay referenced).
_CLOSING: set[asyncio.Future[None]] = set()


def _close_on_loop(pool: _LoopPool) -> None:
    import asyncio

    task = asyncio.ensure_future(pool.closer.aclose())
    _CLOSING.add(task)
    task.add_done_callback(_CLOSING.discard)


def _close_dropped_pools(pools: dict[int, _LoopPool]) -> None:
    """The pools of a client dropped without ``aclose()``: each closes on its own loop, now or
    when that loop next runs; a pool whose loop is gone has its sockets closed here.

    Runs from a finaliser (possibly inside the garbage collector, possibly on another thread),
    so it only schedules: ``call_soon_threadsafe`` takes no lock a collected object could hold.
    The pools stay referenced by this finaliser until then, so aiohttp never finds them
    unclosed in the collector (it would warn "Unclosed connector").
    """
    for key, pool in list(pools.items()):
        loop = pool.loop()
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(_close_on_loop, pool)
                continue
        pools.pop(key, None)
        _abandon(pool)


class AsyncTransport:
    """The routes of one :class:`~nebius_inference.AsyncNebiusClient`: a pool of our own per
    event loop, or the caller's ``httpx.AsyncClient``."""

    __slots__ = ("__weakref__", "_base_url", "_closer", "_direct", "pools", "user_http")

    def __init__(self, base_url: str, http_client: httpx.AsyncClient | None) -> None:
        self._base_url = base_url
        self.user_http = http_client
        self.pools: dict[int, _LoopPool] = {}
        # A client dropped without aclose() (also as cyclic garbage) still closes its pools.
        self._closer = weakref.finalize(self, _close_dropped_pools, self.pools)
        self._direct: Callable[[aiohttp.ClientSession, PreparedRequest], Awaitable[Reply]]

    async def _pool(self) -> _LoopPool:
        """This event loop's pool of our own, made on first use."""
        import asyncio  # asyncio is imported on first async use only: it costs ~35 ms

        loop = asyncio.get_running_loop()
        key = id(loop)
        pool = self.pools.get(key)
        if pool is not None and pool.loop() is loop:
            return pool
        self._abandon_dead_loops()
        from ._aiohttp import make_pool, send_direct  # aiohttp is imported on first use only

        self._direct = send_direct
        http, session = make_pool(DEFAULT_LIMITS, env_proxy(self._base_url))
        closer = _close_with_loop(key, self.pools, http)
        await closer.__anext__()
        pool = _LoopPool(weakref.ref(loop), http, session, closer)
        self.pools[key] = pool
        return pool

    def _abandon_dead_loops(self) -> None:
        for key, other in list(self.pools.items()):
            other_loop = other.loop()
            if other_loop is None or other_loop.is_closed():
                self.pools.pop(key, None)
                _abandon(other)

    async def send(self, prepared: PreparedRequest, stream: bool) -> Reply:
        """The async twin of :meth:`SyncTransport.send`."""
        user = self.user_http
        if user is not None:
            return Reply.of(prepared, await user.send(self.request(prepared), stream=stream))
        pool = await self._pool()
        if _whole_json(prepared, stream):
            return await self._direct(pool.session, prepared)
        return Reply.of(prepared, await pool.http.send(self.request(prepared), stream=stream))

    def request(self, prepared: PreparedRequest) -> httpx.Request:
        return httpx_request(prepared, self.user_http)

    def after_fork(self) -> None:
        """Keep the parent's pools referenced, never closed; new ones open here on first use."""
        INHERITED.append(self.pools)
        self._closer.detach()
        self.pools = {}
        self._closer = weakref.finalize(self, _close_dropped_pools, self.pools)

    async def aclose(self) -> None:
        """Close this loop's pool now (pools of other loops close when their loop shuts down)."""
        import asyncio

        loop = asyncio.get_running_loop()
        pool = self.pools.get(id(loop))
        if pool is not None and pool.loop() is loop:
            await pool.closer.aclose()
        self._abandon_dead_loops()
