"""Reading a job's results from what a caller holds: a job (waited for first) or the results of
a finished one; and, for async code, a chunk generator stepped in worker threads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator
from contextlib import closing
from typing import TypeVar, cast

from .._errors import InvalidRequestError
from ._base import ProgressCallback
from ._jobs import AsyncBatchJob, BatchJob
from ._results import BatchResults

__all__ = ["aiter_in_threads", "aresults_of", "results_of"]

T = TypeVar("T")
_END = object()


def _refuse(source: object) -> InvalidRequestError:
    return InvalidRequestError(
        f"Expected a BatchJob, an AsyncBatchJob or the BatchResults of a finished job, got "
        f"{type(source).__name__}."
    )


def results_of(
    source: BatchJob | BatchResults,
    *,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
) -> BatchResults:
    """``source``'s results: a job is waited for (the arguments are :meth:`BatchJob.wait`'s),
    the results of a finished one are returned as they are."""
    if isinstance(source, BatchJob):
        return source.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    if not isinstance(source, BatchResults):
        raise _refuse(source)
    return source


async def aresults_of(
    source: BatchJob | AsyncBatchJob | BatchResults,
    *,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
) -> BatchResults:
    """The async twin of :func:`results_of`: an ``AsyncBatchJob`` is awaited, a ``BatchJob``
    waited for in a worker thread (its ``on_progress`` runs there)."""
    if isinstance(source, AsyncBatchJob):
        return await source.wait(
            timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
        )
    if isinstance(source, BatchJob):
        return await asyncio.to_thread(
            source.wait, timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
        )
    if not isinstance(source, BatchResults):
        raise _refuse(source)
    return source


async def aiter_in_threads(chunks: Generator[T, None, None]) -> AsyncIterator[T]:
    """The items of ``chunks`` (a generator that reads from disk), each produced in a worker
    thread so the event loop never waits on the disk. ``chunks`` is closed when the iteration
    ends or fails, and when this generator is closed: wrap it in ``contextlib.aclosing`` to
    close it at once when you stop early (else the event loop closes it soon after)."""
    with closing(chunks):
        while (item := await asyncio.to_thread(next, chunks, _END)) is not _END:
            yield cast("T", item)
