"""The async client's own connection pool: one ``aiohttp.ClientSession`` per event loop.

Streams and uploads go through ``httpx.AsyncClient.send`` with the aiohttp transport on this
session, so they share its connections. Plain JSON calls skip httpx and go straight through
the session (``send_direct``), which keeps the throughput of many calls in flight close to raw
aiohttp's; the reply is a :class:`Reply` like every other (see ``_reply`` and ``_transport``).
aiohttp's errors become httpx's, so error mapping and retries are the same for every route.
"""

from __future__ import annotations

import asyncio
import functools

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from multidict import CIMultiDict

from ._base import PreparedRequest
from ._reply import Reply

__all__ = ["make_pool", "send_direct"]


def make_pool(
    limits: httpx.Limits, proxy: str | None = None
) -> tuple[httpx.AsyncClient, aiohttp.ClientSession]:
    """A session, and an httpx client whose transport sends through that same session.

    ``proxy`` is the environment's proxy for our base URL: when there is one, the session
    reads the proxy settings (``HTTPS_PROXY``, ``NO_PROXY``, ...) for each request.
    """
    connector = aiohttp.TCPConnector(
        limit=limits.max_connections or 0, keepalive_timeout=limits.keepalive_expiry
    )
    session = aiohttp.ClientSession(connector=connector, trust_env=proxy is not None)
    transport = AiohttpTransport(limits=limits, client=session)
    return httpx.AsyncClient(transport=transport, follow_redirects=False), session


@functools.lru_cache(maxsize=64)
def _timeout(
    connect: float | None, read: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read, connect=pool)


async def send_direct(session: aiohttp.ClientSession, prepared: PreparedRequest) -> Reply:
    """Send a JSON call through ``session`` and read the whole reply.

    Raises httpx's transport errors, like the httpx route (without a request: the transport
    builds it when it is needed).
    """
    t = prepared.timeout
    try:
        async with session.request(
            prepared.method,
            prepared.url,
            params=prepared.params or None,
            headers=prepared.headers,
            data=prepared.content,
            allow_redirects=False,
            timeout=_timeout(t.connect, t.read, t.pool),
        ) as reply:
            content = await reply.read()
            # aiohttp has already decoded and de-chunked the body it read.
            return Reply(
                prepared,
                reply.status,
                CIMultiDict(reply.headers),
                reply.raw_headers,
                content,
                decoded=True,
            )
    except asyncio.TimeoutError as exc:  # aiohttp's timeouts derive from it
        raise httpx.ReadTimeout(str(exc) or "timed out") from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc)) from exc
    except aiohttp.ClientPayloadError as exc:
        raise httpx.ReadError(str(exc)) from exc
    except aiohttp.ServerDisconnectedError as exc:
        raise httpx.RemoteProtocolError(str(exc) or "server disconnected") from exc
    except aiohttp.ClientError as exc:
        raise httpx.NetworkError(str(exc)) from exc
