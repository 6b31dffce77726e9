"""The sync transport's fast path: plain JSON calls straight through the ``httpcore`` pool of
our own ``httpx.HTTPTransport``, so the connections are shared with streams and uploads.

``httpx`` adds a request object, a response object and a stream wrapper per call; this path
reads the whole reply into a :class:`Reply` instead (see ``_reply``). ``httpcore``'s errors
become ``httpx``'s (the two libraries name them alike), so retries and error mapping are the
same for every route (see ``_transport``).
"""

from __future__ import annotations

import functools

import httpcore
import httpx
from multidict import CIMultiDict

from ._base import PreparedRequest
from ._reply import Reply

__all__ = ["pool_of", "send_direct"]


def pool_of(transport: httpx.HTTPTransport) -> httpcore.ConnectionPool | None:
    """The transport's connection pool (also when it goes through a proxy), or ``None`` if this
    version of httpx keeps it elsewhere; the caller then uses the transport."""
    pool = getattr(transport, "_pool", None)
    return pool if isinstance(pool, httpcore.ConnectionPool) else None


@functools.lru_cache(maxsize=512)
def _url(url: str, query: str) -> httpcore.URL:
    return httpcore.URL(f"{url}?{query}" if query else url)


def _transport_error(exc: httpcore.TimeoutException | Exception) -> httpx.TransportError:
    cls = getattr(httpx, type(exc).__name__, None)
    if not (isinstance(cls, type) and issubclass(cls, httpx.TransportError)):
        cls = httpx.TimeoutException if isinstance(exc, httpcore.TimeoutException) else None
    return (cls or httpx.TransportError)(str(exc) or type(exc).__name__)


def send_direct(pool: httpcore.ConnectionPool, prepared: PreparedRequest) -> Reply:
    """Send a JSON call through ``pool`` and read the whole reply.

    Raises httpx's transport errors, like the httpx route (without a request: the transport
    builds it when it is needed).
    """
    query = str(httpx.QueryParams(prepared.params)) if prepared.params else ""
    try:
        reply = pool.request(
            prepared.method,
            _url(prepared.url, query),
            headers=list(prepared.headers.items()),
            content=prepared.content,
            extensions={"timeout": prepared.timeout.as_dict()},
        )
    except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
        raise _transport_error(exc) from exc
    except (httpcore.ProxyError, httpcore.UnsupportedProtocol) as exc:
        raise _transport_error(exc) from exc
    headers = CIMultiDict(
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in reply.headers
    )
    return Reply(prepared, reply.status, headers, reply.headers, reply.content, decoded=False)
