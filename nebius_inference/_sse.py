"""A sans-IO decoder for server-sent events, and sync/async drivers over byte iterators.

Lines end at CR, LF or CRLF only, as the SSE specification says. (``httpx.Response.iter_lines``
also splits on U+2028, U+0085 and friends, which can cut a JSON payload in two.) We split bytes,
so multi-byte UTF-8 characters are never cut, and a CR at the end of one chunk followed by LF at
the start of the next is one line break.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

__all__ = ["LineDecoder", "SSEDecoder", "ServerSentEvent", "aiter_sse", "iter_sse"]


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class LineDecoder:
    """Feed bytes, get complete lines (without their terminator)."""

    __slots__ = ("_buffer", "_pending_cr")

    def __init__(self) -> None:
        self._buffer = b""
        self._pending_cr = False

    def feed(self, chunk: bytes) -> list[bytes]:
        if not chunk:
            return []
        if self._pending_cr:
            self._pending_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if self._buffer:
            chunk = self._buffer + chunk
            self._buffer = b""
        if not chunk:
            return []
        lines = chunk.splitlines(keepends=True)
        last = lines[-1]
        if last.endswith(b"\n"):
            pass
        elif last.endswith(b"\r"):
            # A CR at the very end may be the first half of a CRLF that continues next chunk.
            self._pending_cr = True
        else:
            self._buffer = lines.pop()
        return [line.rstrip(b"\r\n") for line in lines]

    def flush(self) -> list[bytes]:
        rest, self._buffer, self._pending_cr = self._buffer, b"", False
        return [rest] if rest else []


class SSEDecoder:
    """Feed one line at a time; get an event when a blank line completes one."""

    __slots__ = ("_data", "_event", "_id", "_retry")

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None

    def decode(self, raw: bytes) -> ServerSentEvent | None:
        if not raw:
            if not self._data and self._event is None and self._retry is None:
                return None
            sse = ServerSentEvent(
                data="\n".join(self._data), event=self._event, id=self._id, retry=self._retry
            )
            self._event, self._data, self._retry = None, [], None
            return sse
        if raw[:1] == b":":  # a comment, used for keep-alives
            return None
        line = raw.decode("utf-8")
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def end(self) -> ServerSentEvent | None:
        """At end of input: a pending event without its blank line is dropped, per the spec."""
        self._event, self._data, self._retry = None, [], None
        return None


def iter_sse(chunks: Iterator[bytes]) -> Iterator[ServerSentEvent]:
    lines = LineDecoder()
    decoder = SSEDecoder()
    for chunk in chunks:
        for line in lines.feed(chunk):
            sse = decoder.decode(line)
            if sse is not None:
                yield sse
    for line in lines.flush():
        sse = decoder.decode(line)
        if sse is not None:
            yield sse


async def aiter_sse(chunks: AsyncIterator[bytes]) -> AsyncIterator[ServerSentEvent]:
    lines = LineDecoder()
    decoder = SSEDecoder()
    async for chunk in chunks:
        for line in lines.feed(chunk):
            sse = decoder.decode(line)
            if sse is not None:
                yield sse
    for line in lines.flush():
        sse = decoder.decode(line)
        if sse is not None:
            yield sse
