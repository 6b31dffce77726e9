"""Streamed replies: ``Stream`` and ``AsyncStream``, side by side.

A stream yields parsed events until ``data: [DONE]``. It raises instead of ending quietly when the
connection is cut before ``[DONE]`` (:class:`IncompleteStreamError`), when the server sends an
error event (:class:`APIStreamError`) and when it sits silent longer than the stream idle timeout
(:class:`StreamIdleTimeoutError`). It is never retried once it has yielded an event. Streams are
context managers and close their connection on early exit.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping
from types import TracebackType
from typing import Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ._base import check_stream_error
from ._errors import APIResponseValidationError, IncompleteStreamError, StreamIdleTimeoutError
from ._sse import aiter_sse, iter_sse

__all__ = ["AsyncStream", "Stream"]

T = TypeVar("T", bound=BaseModel)

DONE = "[DONE]"


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


def _idle(response: httpx.Response) -> StreamIdleTimeoutError:
    return StreamIdleTimeoutError(
        "The stream sat silent longer than stream_idle_timeout; the reply is incomplete. "
        "Raise stream_idle_timeout or retry.",
        request=response.request,
    )


class _StreamBase(Generic[T]):
    def __init__(self, response: httpx.Response, model_cls: type[T]) -> None:
        self.response = response
        self._model_cls = model_cls
        self.completed = False

    @property
    def headers(self) -> Mapping[str, str]:
        """The reply's HTTP headers (rate-limit counters, ``x-request-id``)."""
        return self.response.headers


class Stream(_StreamBase[T]):
    """Iterate to get events; use ``with`` (or call :meth:`close`) to free the connection."""

    def __init__(self, response: httpx.Response, model_cls: type[T]) -> None:
        super().__init__(response, model_cls)
        self._events = self._iter_events()

    def _iter_events(self) -> Generator[T, None, None]:
        response = self.response
        try:
            for sse in iter_sse(response.iter_bytes()):
                if sse.data == DONE:
                    self.completed = True
                    return
                if not sse.data:
                    continue
                yield _parse_event(self._model_cls, sse.data, response)
        except httpx.ReadTimeout:
            raise _idle(response) from None
        except httpx.TransportError as exc:
            raise _cut(response, exc) from None
        finally:
            response.close()
        raise _cut(response)

    def __next__(self) -> T:
        return next(self._events)

    def __iter__(self) -> Iterator[T]:
        return self

    def close(self) -> None:
        self._events.close()
        self.response.close()

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStream(_StreamBase[T]):
    """``async for`` to get events; use ``async with`` (or ``await aclose()``) to free it."""

    def __init__(self, response: httpx.Response, model_cls: type[T]) -> None:
        super().__init__(response, model_cls)
        self._events = self._iter_events()

    async def _iter_events(self) -> AsyncGenerator[T, None]:
        response = self.response
        # Both generators are closed explicitly: left to the garbage collector, Python 3.13
        # finalizes them in tasks of a loop that may already be closing ("Task was destroyed").
        chunks = response.aiter_bytes()
        events = aiter_sse(chunks)
        try:
            async for sse in events:
                if sse.data == DONE:
                    self.completed = True
                    return
                if not sse.data:
                    continue
                yield _parse_event(self._model_cls, sse.data, response)
        except httpx.ReadTimeout:
            raise _idle(response) from None
        except httpx.TransportError as exc:
            raise _cut(response, exc) from None
        finally:
            await events.aclose()  # type: ignore[attr-defined]
            await chunks.aclose()  # type: ignore[attr-defined]
            await response.aclose()
        raise _cut(response)

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
