"""A whole reply read straight off our own connection pool, without httpx's objects.

Building an ``httpx.Request`` and an ``httpx.Response`` costs a fifth of a plain JSON call or
more, so the clients send those calls straight through their pool (``_httpcore`` for the sync
client, ``_aiohttp`` for the async one) and parse a successful reply from its bytes.
:meth:`Reply.response` builds the httpx objects on demand, so errors, retries, logging and a
body that does not parse take the same path as every other reply.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from multidict import CIMultiDict

from ._base import PreparedRequest, to_httpx_request

__all__ = ["Reply"]

# Framing headers that no longer describe a body the pool has already decoded and de-chunked.
_DECODED_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class Reply:
    """Status, headers and the whole body of one reply to ``prepared``.

    ``decoded`` says whether the pool has already undone any ``Content-Encoding``.
    """

    __slots__ = ("_raw_headers", "content", "decoded", "headers", "prepared", "status")

    def __init__(
        self,
        prepared: PreparedRequest,
        status: int,
        headers: CIMultiDict[str],
        raw_headers: Sequence[tuple[bytes, bytes]],
        content: bytes,
        *,
        decoded: bool,
    ) -> None:
        self.prepared = prepared
        self.status = status
        self.headers = headers
        self._raw_headers = raw_headers
        self.content = content
        self.decoded = decoded

    @property
    def plain(self) -> bool:
        """A success whose body is ready to parse as it is."""
        return self.status < 300 and (
            self.decoded or self.headers.get("content-encoding", "identity") == "identity"
        )

    def response(self, request: httpx.Request | None = None) -> httpx.Response:
        """This reply as an ``httpx.Response`` to ``request`` (built from the call if omitted)."""
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
            self.status,
            headers=headers,
            content=self.content,
            request=request if request is not None else to_httpx_request(self.prepared),
        )
