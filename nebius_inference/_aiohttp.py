"""The async client's own connection pool: one ``aiohttp.ClientSession`` per event loop.

Streams and uploads go through ``httpx`` with the aiohttp transport on this session, so they
share its connections. Plain JSON calls skip httpx's transport layer and go straight through
the session, which keeps the throughput of many calls in flight close to raw aiohttp's; their
replies still come back as ``httpx.Response`` objects, so parsing, error mapping and retries
are the same for every path. aiohttp's errors become httpx's, for the same reason.
"""

from __future__ import annotations

import asyncio
import functools

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from ._base import PreparedRequest

__all__ = ["make_pool", "send_direct"]

# aiohttp has already decoded and de-chunked the body it reads whole.
_DROPPED_REPLY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def make_pool(
    limits: httpx.Limits,
) -> tuple[httpx.AsyncClient, AiohttpTransport, aiohttp.ClientSession]:
    """A session, and an httpx client whose transport sends through that same session."""
    connector = aiohttp.TCPConnector(
        limit=limits.max_connections or 0, keepalive_timeout=limits.keepalive_expiry
    )
    session = aiohttp.ClientSession(connector=connector)
    transport = AiohttpTransport(limits=limits, client=session)
    return httpx.AsyncClient(transport=transport, follow_redirects=False), transport, session


@functools.lru_cache(maxsize=64)
def _timeout(
    connect: float | None, read: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read, connect=pool)


async def send_direct(
    session: aiohttp.ClientSession, prepared: PreparedRequest, request: httpx.Request
) -> httpx.Response:
    """Send a JSON call through ``session`` and read the whole reply.

    ``request`` is the same call as an ``httpx.Request``: the reply and any error point at it.
    Raises httpx's transport errors, like the httpx paths.
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
            body = await reply.read()
            status = reply.status
            headers = [
                (name, value)
                for name, value in reply.raw_headers
                if name.decode("latin-1").lower() not in _DROPPED_REPLY_HEADERS
            ]
    except asyncio.TimeoutError as exc:  # aiohttp's timeouts derive from it
        raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc), request=request) from exc
    except aiohttp.ClientPayloadError as exc:
        raise httpx.ReadError(str(exc), request=request) from exc
    except aiohttp.ServerDisconnectedError as exc:
        raise httpx.RemoteProtocolError(str(exc) or "server disconnected", request=request) from exc
    except aiohttp.ClientError as exc:
        raise httpx.NetworkError(str(exc), request=request) from exc
    return httpx.Response(status, headers=headers, content=body, request=request)
