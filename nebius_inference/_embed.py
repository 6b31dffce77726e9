"""Bulk embedding for both clients: ``embed`` (everything at once) and ``iter_embeddings``
(chunks as they arrive, in input order, with a bounded number of requests in flight).

The sync and async twins sit side by side; what they share (the plan, the progress, collecting
the result) is pure and lives in :class:`_Plan`. Memory: ``iter_embeddings`` holds at most
``max_concurrency`` requests' vectors plus the chunk being assembled, whatever the corpus size.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import httpx
from typing_extensions import Unpack

from . import _endpoints as ep
from ._base import RequestOptions, check_texts, parse_embedding_vectors, plan_batches
from ._errors import InvalidRequestError
from ._params import EmbedCall
from ._vectors import Gather, Output, check_output, join_vectors

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from ._batch_results import BatchProgress

__all__ = ["AsyncEmbeddings", "EmbedProgress", "SyncEmbeddings"]

EMBED_BATCH_SIZE = 128
EMBED_MAX_CONCURRENCY = 4

EmbedProgress = Callable[["BatchProgress"], None]
"""Called after each request with a :class:`~nebius_inference.batch.BatchProgress`: ``total``
texts, ``completed`` texts embedded so far, ``parts`` requests, ``parts_done`` done."""


class _Plan:
    """One bulk embedding: the texts, their chunks and requests, and the progress display."""

    def __init__(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: object,
        batch_size: int,
        chunk_size: int | None,
        max_concurrency: int,
        progress_bar: bool,
        on_progress: EmbedProgress | None,
        params: dict[str, Any],
    ) -> None:
        self.items = check_texts(texts)
        self.output: Output = check_output(output)
        if batch_size < 1:
            raise InvalidRequestError(f"batch_size must be at least 1, got {batch_size}.")
        if chunk_size is None:
            chunk_size = batch_size
        if chunk_size < 1:
            raise InvalidRequestError(f"chunk_size must be at least 1, got {chunk_size}.")
        if max_concurrency < 1:
            raise InvalidRequestError(f"max_concurrency must be at least 1, got {max_concurrency}.")
        self.max_concurrency = max_concurrency
        # Each chunk is sent as requests of at most batch_size texts, in order.
        self.requests: list[range] = []
        self.chunk_ends: set[int] = set()  # index of the last request of each chunk
        for chunk in plan_batches(len(self.items), chunk_size):
            for span in plan_batches(len(chunk), batch_size):
                self.requests.append(range(chunk.start + span.start, chunk.start + span.stop))
            self.chunk_ends.add(len(self.requests) - 1)
        self.model = model
        self.params = params
        # Build the first call now, so bad fields are refused before anything is sent.
        if self.requests:
            self.call(0)
        self.done_texts = 0
        self.done_requests = 0
        self._watch: Any = None
        if progress_bar or on_progress is not None:
            from ._batch_base import Watch  # the Batch API's progress display, loaded on demand

            self._watch = Watch(
                len(self.items), "embeddings", on_progress, progress_bar, unit="texts"
            )

    def call(self, index: int) -> RequestOptions:
        span = self.requests[index]
        body = {"model": self.model, "input": self.items[span.start : span.stop], **self.params}
        return ep.embeddings(None, body)

    def decode(self, index: int, response: httpx.Response) -> Any:
        return parse_embedding_vectors(response, self.output, len(self.requests[index]))

    def advance(self, index: int) -> None:
        """Count request ``index`` as consumed and report the progress."""
        self.done_texts += len(self.requests[index])
        self.done_requests += 1
        if self._watch is not None:
            from ._batch_results import BatchProgress

            self._watch(
                BatchProgress(
                    total=len(self.items),
                    completed=self.done_texts,
                    failed=0,
                    parts=len(self.requests),
                    parts_done=self.done_requests,
                )
            )

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None


def _gather(plan: _Plan, chunks: Iterator[tuple[int, Any]]) -> Any:
    gather = Gather(len(plan.items), plan.output)
    for start, vectors in chunks:
        gather.add(start, vectors)
    return gather.result()


# ============================================================================================
# Sync
# ============================================================================================


class SyncEmbeddings:
    """``embed`` and ``iter_embeddings`` of :class:`~nebius_inference.NebiusClient`."""

    if TYPE_CHECKING:

        def _send(self, call: RequestOptions) -> httpx.Response: ...

    @overload
    def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["list"] = ...,
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> list[list[float]]: ...
    @overload
    def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["array"],
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> list[array[float]]: ...
    @overload
    def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["numpy"],
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> NDArray[np.float32]: ...
    def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Output = "list",
        batch_size: int = EMBED_BATCH_SIZE,
        max_concurrency: int = EMBED_MAX_CONCURRENCY,
        progress_bar: bool = False,
        on_progress: EmbedProgress | None = None,
        **params: Unpack[EmbedCall],
    ) -> Any:
        """Embed many texts, returned in input order.

        Args:
            texts: a list of strings (a single string is refused: wrap it in a list).
            model: the embedding model id.
            output: ``"list"`` (lists of floats), ``"array"`` (an ``array('f')`` per vector, a
                sixth of the memory) or ``"numpy"`` (one float32 array of shape
                ``(len(texts), dimensions)``; needs numpy). The compact shapes are decoded
                straight from the base64 reply.
            batch_size: texts per request.
            max_concurrency: requests in flight at once.
            progress_bar: show a bar (tqdm if installed, else a line on stderr).
            on_progress: called after each request with a ``BatchProgress`` (texts and
                requests done so far).
            params: ``dimensions``, ``user``, ``service_tier``, per-call options
                (``timeout``, ``extra_body``, ...).

        Raises:
            InvalidRequestError: bad input, before anything is sent.
            ConfigurationError: ``output="numpy"`` without numpy installed.
            APIError: a request failed (after retries).
        """
        plan = _Plan(
            texts,
            model=model,
            output=output,
            batch_size=batch_size,
            chunk_size=batch_size,
            max_concurrency=max_concurrency,
            progress_bar=progress_bar,
            on_progress=on_progress,
            params=dict(params),
        )
        return _gather(plan, self._chunks(plan))

    @overload
    def iter_embeddings(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["list"] = ...,
        chunk_size: int | None = ...,
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> Iterator[tuple[int, list[list[float]]]]: ...
    @overload
    def iter_embeddings(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["array"],
        chunk_size: int | None = ...,
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> Iterator[tuple[int, list[array[float]]]]: ...
    @overload
    def iter_embeddings(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["numpy"],
        chunk_size: int | None = ...,
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> Iterator[tuple[int, NDArray[np.float32]]]: ...
    def iter_embeddings(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Output = "list",
        chunk_size: int | None = None,
        batch_size: int = EMBED_BATCH_SIZE,
        max_concurrency: int = EMBED_MAX_CONCURRENCY,
        progress_bar: bool = False,
        on_progress: EmbedProgress | None = None,
        **params: Unpack[EmbedCall],
    ) -> Iterator[tuple[int, Any]]:
        """Embed many texts and yield ``(start, vectors)`` chunks in input order as they arrive:
        ``vectors`` are those of ``texts[start : start + len(vectors)]``.

        At most ``max_concurrency`` requests are in flight and no more are held, so memory stays
        flat however many texts there are. ``chunk_size`` texts per chunk (default
        ``batch_size``), sent as requests of at most ``batch_size``. The other arguments are
        :meth:`embed`'s. Bad input is refused here, before anything is sent; requests start
        when the iteration does, and stop when it stops.
        """
        plan = _Plan(
            texts,
            model=model,
            output=output,
            batch_size=batch_size,
            chunk_size=chunk_size,
            max_concurrency=max_concurrency,
            progress_bar=progress_bar,
            on_progress=on_progress,
            params=dict(params),
        )
        return self._chunks(plan)

    def _chunks(self, plan: _Plan) -> Iterator[tuple[int, Any]]:
        def run(index: int) -> Any:
            return plan.decode(index, self._send(plan.call(index)))

        count = len(plan.requests)
        if count <= 1 or plan.max_concurrency <= 1:
            try:
                yield from _in_order(plan, (run(i) for i in range(count)))
            finally:
                plan.close()
            return
        from concurrent.futures import Future, ThreadPoolExecutor  # only when needed

        pool = ThreadPoolExecutor(max_workers=min(plan.max_concurrency, count))
        pending: deque[Future[Any]] = deque()

        def results() -> Iterator[Any]:
            submitted = 0
            while submitted < count or pending:
                while submitted < count and len(pending) < plan.max_concurrency:
                    pending.append(pool.submit(run, submitted))
                    submitted += 1
                yield pending.popleft().result()

        try:
            yield from _in_order(plan, results())
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)
            plan.close()


def _in_order(plan: _Plan, results: Iterator[Any]) -> Iterator[tuple[int, Any]]:
    """Group the requests' results (in request order) into chunks."""
    parts: list[Any] = []
    start = 0
    for index, vectors in enumerate(results):
        parts.append(vectors)
        plan.advance(index)
        if index in plan.chunk_ends:
            yield start, join_vectors(parts, plan.output)
            start = plan.requests[index].stop
            parts = []


# ============================================================================================
# Async
# ============================================================================================


class AsyncEmbeddings:
    """``embed`` and ``iter_embeddings`` of :class:`~nebius_inference.AsyncNebiusClient`."""

    if TYPE_CHECKING:

        async def _send(self, call: RequestOptions) -> httpx.Response: ...

    @overload
    async def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["list"] = ...,
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> list[list[float]]: ...
    @overload
    async def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["array"],
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> list[array[float]]: ...
    @overload
    async def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["numpy"],
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> NDArray[np.float32]: ...
    async def embed(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Output = "list",
        batch_size: int = EMBED_BATCH_SIZE,
        max_concurrency: int = EMBED_MAX_CONCURRENCY,
        progress_bar: bool = False,
        on_progress: EmbedProgress | None = None,
        **params: Unpack[EmbedCall],
    ) -> Any:
        """Embed many texts, in input order; see :meth:`NebiusClient.embed`."""
        plan = _Plan(
            texts,
            model=model,
            output=output,
            batch_size=batch_size,
            chunk_size=batch_size,
            max_concurrency=max_concurrency,
            progress_bar=progress_bar,
            on_progress=on_progress,
            params=dict(params),
        )
        gather = Gather(len(plan.items), plan.output)
        async for start, vectors in self._chunks(plan):
            gather.add(start, vectors)
        return gather.result()

    @overload
    def iter_embeddings(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["list"] = ...,
        chunk_size: int | None = ...,
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> AsyncIterator[tuple[int, list[list[float]]]]: ...
    @overload
    def iter_embeddings(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["array"],
        chunk_size: int | None = ...,
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> AsyncIterator[tuple[int, list[array[float]]]]: ...
    @overload
    def iter_embeddings(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Literal["numpy"],
        chunk_size: int | None = ...,
        batch_size: int = ...,
        max_concurrency: int = ...,
        progress_bar: bool = ...,
        on_progress: EmbedProgress | None = ...,
        **params: Unpack[EmbedCall],
    ) -> AsyncIterator[tuple[int, NDArray[np.float32]]]: ...
    def iter_embeddings(
        self,
        texts: Sequence[str],
        *,
        model: str,
        output: Output = "list",
        chunk_size: int | None = None,
        batch_size: int = EMBED_BATCH_SIZE,
        max_concurrency: int = EMBED_MAX_CONCURRENCY,
        progress_bar: bool = False,
        on_progress: EmbedProgress | None = None,
        **params: Unpack[EmbedCall],
    ) -> AsyncIterator[tuple[int, Any]]:
        """``async for start, vectors in client.iter_embeddings(...)``; see
        :meth:`NebiusClient.iter_embeddings`. Leaving the loop early cancels the requests in
        flight once the generator is closed (``contextlib.aclosing`` closes it at once)."""
        plan = _Plan(
            texts,
            model=model,
            output=output,
            batch_size=batch_size,
            chunk_size=chunk_size,
            max_concurrency=max_concurrency,
            progress_bar=progress_bar,
            on_progress=on_progress,
            params=dict(params),
        )
        return self._chunks(plan)

    async def _chunks(self, plan: _Plan) -> AsyncIterator[tuple[int, Any]]:
        import asyncio

        async def run(index: int) -> Any:
            return plan.decode(index, await self._send(plan.call(index)))

        count = len(plan.requests)
        pending: deque[asyncio.Task[Any]] = deque()
        submitted = 0
        parts: list[Any] = []
        start = 0
        try:
            for index in range(count):
                while submitted < count and len(pending) < plan.max_concurrency:
                    pending.append(asyncio.ensure_future(run(submitted)))
                    submitted += 1
                parts.append(await pending.popleft())
                plan.advance(index)
                if index in plan.chunk_ends:
                    yield start, join_vectors(parts, plan.output)
                    start = plan.requests[index].stop
                    parts = []
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
            plan.close()
