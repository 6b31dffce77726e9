"""Streamed replies: ``Stream`` and ``AsyncStream``, side by side.

A stream yields parsed events until ``data: [DONE]``. It raises instead of ending quietly when the
connection is cut before ``[DONE]`` (:class:`IncompleteStreamError`), when the server sends an
error event or bytes that are not UTF-8 (:class:`APIStreamError`) and when it sits silent longer
than the stream idle timeout (:class:`StreamIdleTimeoutError`). It is never retried once it has
yielded an event. Streams are context managers and close their connection on early exit.

Nothing here closes a connection from inside the garbage collector: a close takes the
connection pool's lock, and the collector can run while the same thread holds that lock (any
allocation can start it). A stream the collector finalises parks its response in its client's
:class:`OpenStreams`, which closes it before the client's next request. Streams hold no
reference cycles, so in CPython the collector is involved only when user code makes one.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import threading
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ._base import check_stream_error
from ._errors import (
    APIResponseValidationError,
    APIStreamError,
    IncompleteStreamError,
    StreamIdleTimeoutError,
)
from ._sse import aiter_sse, iter_sse

__all__ = ["AsyncStream", "OpenStreams", "Stream", "in_collector"]

T = TypeVar("T", bound=BaseModel)

DONE = "[DONE]"

# The thread running a cyclic garbage collection right now, if any.
_collecting: int | None = None


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    global _collecting
    _collecting = threading.get_ident() if phase == "start" else None


gc.callbacks.append(_on_gc)


def in_collector() -> bool:
    """Whether this thread is inside a cyclic garbage collection (running its finalisers)."""
    return _collecting is not None and _collecting == threading.get_ident()


class OpenStreams:
    """The responses of one client's open sync streams.

    Each stream's byte iterator is kept here, reachable, so that the garbage collector never
    finalises it (finalising httpx's and httpcore's generators closes the connection, under the
    pool's lock). :meth:`release` closes a response at once, except inside the collector: there
    it only parks the response in a deque (an append, which takes no lock), and :meth:`drain`
    closes it later, before the client's next request or at ``close()``.
    """

    __slots__ = ("_next", "_open", "_parked")

    def __init__(self) -> None:
        self._open: dict[int, tuple[httpx.Response, Iterator[bytes]]] = {}
        self._parked: deque[int] = deque()
        self._next = itertools.count()

    def track(self, response: httpx.Response) -> tuple[int, Iterator[bytes]]:
        token = next(self._next)
        chunks = response.iter_bytes()
        self._open[token] = (response, chunks)
        return token, chunks

    def release(self, token: int) -> None:
        if in_collector():
            self._parked.append(token)
            return
        entry = self._open.pop(token, None)
        if entry is not None:
            entry[0].close()

    def drain(self) -> None:
        """Close the responses parked by the collector (outside it: here we hold no lock)."""
        parked = self._parked
        with contextlib.suppress(IndexError):  # another thread may empty it first
            while parked:
                self.release(parked.popleft())

    def close_all(self) -> None:
        self.drain()
        for token in list(self._open):
            self.release(token)

    def forget(self) -> None:
        """Start afresh without closing anything (after a fork: the parent owns those sockets,
        and the old entries stay referenced so that no finaliser closes them here)."""
        _KEPT.append(self._open)
        self._open = {}
        self._parked = deque()

    def __len__(self) -> int:
        return len(self._open)


_KEPT: list[object] = []
# Streams made without a client's registry (``Stream(response, model)``); clients drain it too.
ORPHANS = OpenStreams()
if hasattr(os, "register_at_fork"):  # a forked child leaves the parent's streams alone
    os.register_at_fork(after_in_child=ORPHANS.forget)


def _parse_event(model_cls: type[T], data: str, response: httpx.Response) -> T:
    check_stream_error(data, response.request)
    try:
        return model_cls.model_validate_json(data)
    except ValidationError as exc:
        raise APIResponseValidationError(
            f"A stream event is not a valid {model_cls.__name__} "
            f"({exc.errors(include_url=False)[0]['msg']}): {data[:200]!r}",
            request=response.request,
            response=response,
            body=data,
        ) from None


def _cut(response: httpx.Response, exc: Exception | None = None) -> IncompleteStreamError:
    reason = f" ({type(exc).__name__})" if exc is not None else ""
    return IncompleteStreamError(
        f"The stream ended before the server sent [DONE]{reason}: the reply is incomplete. "
        "Retry the request.",
        request=response.request,
    )


def _not_utf8(response: httpx.Response, exc: UnicodeDecodeError) -> APIStreamError:
    return APIStreamError(
        f"A stream event is not valid UTF-8 (byte {exc.start}: {exc.reason}); the reply is "
        "unusable from here. Retry the request; if it keeps happening, report it to Nebius.",
        request=response.request,
        body=exc.object[max(0, exc.start - 40) : exc.end + 40],
    )


def _idle(response: httpx.Response) -> StreamIdleTimeoutError:
    return StreamIdleTimeoutError(
        "The stream sat silent longer than stream_idle_timeout; the reply is incomplete. "
        "Raise stream_idle_timeout or retry.",
        request=response.request,
    )


class _Flag:
    """Whether a stream reached ``[DONE]``: shared by a stream and its event generator, so the
    generator never refers back to the stream (no reference cycle)."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False


class _StreamBase(Generic[T]):
    def __init__(self, response: httpx.Response, model_cls: type[T]) -> None:
        self.response = response
        self._model_cls = model_cls
        self._flag = _Flag()

    @property
    def completed(self) -> bool:
        """Whether the server sent ``data: [DONE]``."""
        return self._flag.done

    @property
    def headers(self) -> Mapping[str, str]:
        """The reply's HTTP headers (rate-limit counters, ``x-request-id``)."""
        return self.response.headers


def _events(
    chunks: Iterator[bytes], response: httpx.Response, model_cls: type[T], flag: _Flag
) -> Generator[T, None, None]:
    """The events of a sync stream. It holds the response, never the :class:`Stream`."""
    try:
        for sse in iter_sse(chunks):
            if sse.data == DONE:
                flag.done = True
                return
            if not sse.data:
                continue
            yield _parse_event(model_cls, sse.data, response)
    except UnicodeDecodeError as exc:
        raise _not_utf8(response, exc) from None
    except httpx.ReadTimeout:
        raise _idle(response) from None
    except httpx.TransportError as exc:
        raise _cut(response, exc) from None
    raise _cut(response)


class Stream(_StreamBase[T]):
    """Iterate to get events; use ``with`` (or call :meth:`close`) to free the connection.

    A stream left early (``break``) without ``with`` frees its connection as soon as it is
    dropped: in CPython, at once. When the garbage collector is what drops it, the connection is
    handed to ``opened`` (the client's :class:`OpenStreams`) and closed before the client's next
    request, because a close inside the collector could wait on a lock the interrupted code holds.
    """

    def __init__(
        self, response: httpx.Response, model_cls: type[T], opened: OpenStreams | None = None
    ) -> None:
        super().__init__(response, model_cls)
        opened = opened if opened is not None else ORPHANS
        self._token, chunks = opened.track(response)
        self._opened = opened
        self._events = _events(chunks, response, model_cls, self._flag)

    def __next__(self) -> T:
        try:
            return next(self._events)
        except BaseException:
            self._opened.release(self._token)
            raise

    def __iter__(self) -> Iterator[T]:
        return self

    def close(self) -> None:
        self._opened.release(self._token)
        self._events.close()

    def __del__(self) -> None:
        # Only a stream left open comes here with work to do; the collector's case is parked.
        opened = getattr(self, "_opened", None)
        if opened is not None:
            with contextlib.suppress(Exception):  # at interpreter exit, modules are half gone
                opened.release(self._token)

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def _aevents(
    response: httpx.Response, model_cls: type[T], flag: _Flag
) -> AsyncGenerator[T, None]:
    """The events of an async stream. It holds the response, never the :class:`AsyncStream`.

    Left unfinished, it is closed by the event loop's async-generator finaliser (a task, outside
    the collector), which runs the ``finally`` below.
    """
    # Both inner generators are closed explicitly: left to the garbage collector, Python 3.13
    # finalizes them in tasks of a loop that may already be closing ("Task was destroyed").
    chunks = response.aiter_bytes()
    events = aiter_sse(chunks)
    try:
        async for sse in events:
            if sse.data == DONE:
                flag.done = True
                return
            if not sse.data:
                continue
            yield _parse_event(model_cls, sse.data, response)
    except UnicodeDecodeError as exc:
        raise _not_utf8(response, exc) from None
    except httpx.ReadTimeout:
        raise _idle(response) from None
    except httpx.TransportError as exc:
        raise _cut(response, exc) from None
    finally:
        await events.aclose()  # type: ignore[attr-defined]
        await chunks.aclose()  # type: ignore[attr-defined]
        await response.aclose()
    raise _cut(response)


class AsyncStream(_StreamBase[T]):
    """``async for`` to get events; use ``async with`` (or ``await aclose()``) to free it."""

    def __init__(self, response: httpx.Response, model_cls: type[T]) -> None:
        super().__init__(response, model_cls)
        self._events = _aevents(response, model_cls, self._flag)

    async def __anext__(self) -> T:
        return await self._events.__anext__()

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def aclose(self) -> None:
        await self._events.aclose()
        await self.response.aclose()

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
