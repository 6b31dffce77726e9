"""Bulk embedding for both clients: ``embed`` (everything at once) and ``iter_embeddings``
(chunks as they arrive, in input order, with a bounded number of requests in flight).

The sync and async twins sit side by side; what they share (the plan, the progress, collecting
the result) is pure and lives in
:mod:`nebius_inference._embed_plan`. Memory: ``iter_embeddings`` holds at most
``max_concurrency`` requests' vectors plus the chunk being assembled, whatever the corpus size.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from typing_extensions import Unpack

from ._base import RequestOptions
from ._embed_plan import (
    EMBED_BATCH_SIZE,
    EMBED_MAX_CONCURRENCY,
    EmbedPlan,
    EmbedProgress,
    gather,
    in_order,
)
from ._errors import NotFoundError
from ._params import EmbedCall
from ._vectors import Gather, Output, join_vectors

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from ._reply import Reply
    from .pacing import Pacer

__all__ = ["AsyncEmbeddings", "SyncEmbeddings"]

# ============================================================================================
# Sync
# ============================================================================================


class SyncEmbeddings:
    """``embed`` and ``iter_embeddings`` of :class:`~nebius_inference.NebiusClient`."""

    if TYPE_CHECKING:
        _pacer: Pacer

        def _send(self, call: RequestOptions) -> Reply: ...
        def _name_listed_models(self, call: RequestOptions, error: NotFoundError) -> None: ...

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
        plan = EmbedPlan(
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
        return gather(plan, self._chunks(plan))

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
        plan = EmbedPlan(
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

    def _chunks(self, plan: EmbedPlan) -> Iterator[tuple[int, Any]]:
        plan.announce(self._pacer)

        def run(index: int) -> Any:
            try:
                return plan.decode(index, self._send(plan.call(index)))
            except NotFoundError as error:
                if index == 0:  # every request names the same model: one look-up, for the first
                    self._name_listed_models(plan.call(index), error)
                raise

        count = len(plan.requests)
        if count <= 1 or plan.max_concurrency <= 1:
            try:
                yield from in_order(plan, (run(i) for i in range(count)))
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
            yield from in_order(plan, results())
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)
            plan.close()


# ============================================================================================
# Async
# ============================================================================================


class AsyncEmbeddings:
    """``embed`` and ``iter_embeddings`` of :class:`~nebius_inference.AsyncNebiusClient`."""

    if TYPE_CHECKING:
        _pacer: Pacer

        async def _send(self, call: RequestOptions) -> Reply: ...
        async def _name_listed_models(self, call: RequestOptions, error: NotFoundError) -> None: ...

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
        plan = EmbedPlan(
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
        plan = EmbedPlan(
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

    async def _chunks(self, plan: EmbedPlan) -> AsyncIterator[tuple[int, Any]]:
        import asyncio

        plan.announce(self._pacer)

        async def run(index: int) -> Any:
            try:
                return plan.decode(index, await self._send(plan.call(index)))
            except NotFoundError as error:
                if index == 0:  # as in the sync twin
                    await self._name_listed_models(plan.call(index), error)
                raise

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
