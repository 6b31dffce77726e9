"""The async client's own connection pool: one ``aiohttp.ClientSession`` per event loop.

Streams and uploads go through ``httpx`` with the aiohttp transport on this session, so they
share its connections. Plain JSON calls skip httpx's transport layer and go straight through
the session, which keeps the throughput of many calls in flight close to raw aiohttp's. A
successful reply is parsed straight from its bytes; any other becomes an ``httpx.Response``,
so error mapping and retries are the same for every path. aiohttp's errors become httpx's, for
the same reason.
"""

from __future__ import annotations

import asyncio
import functools

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from multidict import CIMultiDict

from ._base import PreparedRequest, to_httpx_request

__all__ = ["Reply", "make_pool", "send_direct"]

# aiohttp has already decoded and de-chunked the body it reads whole.
_DROPPED_REPLY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def make_pool(
    limits: httpx.Limits, proxy: str | None = None
) -> tuple[httpx.AsyncClient, AiohttpTransport, aiohttp.ClientSession]:
    """A session, and an httpx client whose transport sends through that same session.

    ``proxy`` is the environment's proxy for our base URL: when there is one, the session
    reads the proxy settings (``HTTPS_PROXY``, ``NO_PROXY``, ...) for each request.
    """
    connector = aiohttp.TCPConnector(
        limit=limits.max_connections or 0, keepalive_timeout=limits.keepalive_expiry
    )
    session = aiohttp.ClientSession(connector=connector, trust_env=proxy is not None)
    transport = AiohttpTransport(limits=limits, client=session)
    return httpx.AsyncClient(transport=transport, follow_redirects=False), transport, session


@functools.lru_cache(maxsize=64)
def _timeout(
    connect: float | None, read: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read, connect=pool)


class Reply:
    """A whole reply read straight off the session: status, headers and body, no httpx objects.

    Building an ``httpx.Request`` and ``httpx.Response`` costs about a fifth of a call at high
    concurrency, so a successful reply skips them; :meth:`response` builds both on demand
    (errors, retries, logging, a body that does not parse).
    """

    __slots__ = ("_raw_headers", "content", "headers", "prepared", "status")

    def __init__(
        self,
        prepared: PreparedRequest,
        status: int,
        headers: CIMultiDict[str],
        raw_headers: tuple[tuple[bytes, bytes], ...],
        content: bytes,
    ) -> None:
        self.prepared = prepared
        self.status = status
        self.headers = headers
        self._raw_headers = raw_headers
        self.content = content

    def response(self, request: httpx.Request | None = None) -> httpx.Response:
        """This reply as an ``httpx.Response`` to ``request`` (built from the call if omitted)."""
        headers = [
            (name, value)
            for name, value in self._raw_headers
            if name.decode("latin-1").lower() not in _DROPPED_REPLY_HEADERS
        ]
        return httpx.Response(
            self.status,
            headers=headers,
            content=self.content,
            request=request if request is not None else to_httpx_request(self.prepared),
        )


async def send_direct(session: aiohttp.ClientSession, prepared: PreparedRequest) -> Reply:
    """Send a JSON call through ``session`` and read the whole reply.

    Raises httpx's transport errors, like the httpx paths (without a request: the caller has
    or builds it).
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
            return Reply(
                prepared, reply.status, CIMultiDict(reply.headers), reply.raw_headers, content
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
