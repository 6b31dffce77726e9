"""``Reply``: the one kind of reply a client's transport returns, whichever route carried it.

A plain JSON call on our own pool is read straight off the pool (``_httpcore`` for the sync
client, ``_aiohttp`` for the async one): building an ``httpx.Request`` and an ``httpx.Response``
costs a fifth of such a call or more, so that reply keeps only its status, headers and bytes,
and :meth:`Reply.response` builds the httpx objects on demand (for an error, a retry, or a body
that does not parse). Every other reply (streams, uploads, calls on your own ``http_client``)
wraps the ``httpx.Response`` that ``httpx`` gave; a stream's is still open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from ._base import PreparedRequest, httpx_request

__all__ = ["Reply"]

# Framing headers that no longer describe a body the pool has already decoded and de-chunked.
_DECODED_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class Reply:
    """Status, headers and body of one reply to ``prepared``.

    ``content`` is the whole body, decoded; on a stream it raises ``httpx.ResponseNotRead``
    (read the stream through :meth:`response`). ``decoded`` says whether the pool has already
    undone any ``Content-Encoding`` of ``raw_content``; a body it has not undone is decoded by
    ``httpx`` on first use of ``content``.
    """

    __slots__ = (
        "_content",
        "_raw_headers",
        "_response",
        "decoded",
        "headers",
        "prepared",
        "status",
    )

    def __init__(
        self,
        prepared: PreparedRequest,
        status: int,
        headers: Mapping[str, str],
        raw_headers: Sequence[tuple[bytes, bytes]],
        raw_content: bytes,
        *,
        decoded: bool,
    ) -> None:
        self.prepared = prepared
        self.status = status
        self.headers = headers
        self._raw_headers = raw_headers
        self.decoded = decoded
        self._response: httpx.Response | None = None
        # The raw bytes are the body as it is unless a Content-Encoding is still on them.
        plain = decoded or headers.get("content-encoding", "identity") == "identity"
        self._content: bytes | None = raw_content if plain else None
        if not plain:
            self._response = self._build(raw_content)

    @classmethod
    def of(cls, prepared: PreparedRequest, response: httpx.Response) -> Reply:
        """Wrap the ``httpx.Response`` a route gave (read, or an open stream)."""
        reply = cls.__new__(cls)
        reply.prepared = prepared
        reply.status = response.status_code
        reply.headers = response.headers
        reply._raw_headers = ()
        reply.decoded = True
        reply._response = response
        reply._content = None
        return reply

    @property
    def content(self) -> bytes:
        content = self._content
        if content is None:
            content = self._content = self.response().content
        return content

    @property
    def request(self) -> httpx.Request:
        """The ``httpx.Request`` this replies to (built on first use on the direct route)."""
        response = self._response
        return response.request if response is not None else httpx_request(self.prepared)

    def response(self) -> httpx.Response:
        """This reply as an ``httpx.Response`` (built on first use on the direct route)."""
        response = self._response
        if response is None:
            assert self._content is not None
            response = self._response = self._build(self._content)
        return response

    def _build(self, content: bytes) -> httpx.Response:
        headers = (
            [
                (name, value)
                for name, value in self._raw_headers
                if name.decode("latin-1").lower() not in _DECODED_BODY_HEADERS
            ]
            if self.decoded
            else list(self._raw_headers)
        )
        return httpx.Response(
            self.status, headers=headers, content=content, request=httpx_request(self.prepared)
        )
