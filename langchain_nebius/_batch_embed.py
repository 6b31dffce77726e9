"""Embeddings through the Batch API for LangChain: a list of texts to vectors in one call, or a
corpus into a vector store a chunk at a time. :mod:`langchain_nebius.batch` exports these.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from typing_extensions import Unpack

from nebius_inference import InvalidRequestError
from nebius_inference.batch import (
    EMBEDDINGS_ENDPOINT,
    AsyncBatchJob,
    BatchItemError,
    BatchJob,
    BatchOptions,
    BatchResults,
    ProgressCallback,
    aiter_in_threads,
    aresults_of,
    results_of,
)

from ._batch_convert import embedding_batch_requests
from ._batch_errors import NebiusBatchError, NebiusBatchItemError
from ._errors import translate_errors

if TYPE_CHECKING:
    from .embeddings import NebiusEmbeddings

__all__ = [
    "aembed_documents_batch",
    "aembedding_chunks",
    "embed_documents_batch",
    "embedding_batch_job",
    "embedding_chunks",
    "vectors_from_results",
]


def vectors_from_results(
    results: BatchResults, *, texts_per_request: int, total: int
) -> list[list[float]]:
    """The vectors of a finished embeddings job, one per text, in order; raises
    :class:`NebiusBatchError` (every text's vector or error in ``outputs``) if any failed."""
    outputs = results.text_vectors(
        texts_per_request=texts_per_request, total=total, error_class=NebiusBatchItemError
    )
    return NebiusBatchError.check(outputs, results)


def embed_documents_batch(
    embeddings: NebiusEmbeddings,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """Embed ``texts`` through the Batch API; one vector per text, in order, the same vectors
    ``embeddings.embed_documents`` returns.

    ``texts_per_request`` texts go in each request line (one by default, so a failure costs
    one text). Raises :class:`NebiusBatchError` (the vectors that came back in its
    ``outputs``) if any request failed. The other arguments are :func:`batch_inference`'s.
    """
    if not texts:
        return []
    job = embedding_batch_job(embeddings, texts, texts_per_request=texts_per_request, **options)
    with translate_errors():
        results = job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))


async def aembed_documents_batch(
    embeddings: NebiusEmbeddings,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """The async twin of :func:`embed_documents_batch`."""
    if not texts:
        return []
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    with translate_errors():
        requests = embedding_batch_requests(embeddings, texts, texts_per_request=texts_per_request)
        job = AsyncBatchJob(embeddings._get_async_client(), requests, **options)
        results = await job.wait(
            timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
        )
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))


# ============================================================================================
# A corpus into a vector store, chunk by chunk
# ============================================================================================


def embedding_batch_job(
    embeddings: NebiusEmbeddings,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    **options: Unpack[BatchOptions],
) -> BatchJob:
    """An embeddings job for ``texts``, planned and not yet sent: ``submit()`` it now (with
    ``state_path`` to pick it up again later, even from another process), then feed a vector
    store from it with :func:`embedding_chunks`. The arguments are
    :func:`embed_documents_batch`'s."""
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    with translate_errors():
        requests = embedding_batch_requests(embeddings, texts, texts_per_request=texts_per_request)
        return BatchJob(embeddings._get_client(), requests, **options)


@overload
def embedding_chunks(
    source: BatchJob | BatchResults,
    texts: Sequence[str],
    *,
    texts_per_request: int = ...,
    chunk_size: int = ...,
    return_exceptions: Literal[False] = ...,
    timeout: float | None = ...,
    on_progress: ProgressCallback | None = ...,
    progress_bar: bool = ...,
) -> Iterator[list[tuple[str, list[float]]]]: ...
@overload
def embedding_chunks(
    source: BatchJob | BatchResults,
    texts: Sequence[str],
    *,
    texts_per_request: int = ...,
    chunk_size: int = ...,
    return_exceptions: Literal[True],
    timeout: float | None = ...,
    on_progress: ProgressCallback | None = ...,
    progress_bar: bool = ...,
) -> Iterator[list[tuple[str, list[float] | NebiusBatchItemError]]]: ...
@overload
def embedding_chunks(
    source: BatchJob | BatchResults,
    texts: Sequence[str],
    *,
    texts_per_request: int = ...,
    chunk_size: int = ...,
    return_exceptions: bool,
    timeout: float | None = ...,
    on_progress: ProgressCallback | None = ...,
    progress_bar: bool = ...,
) -> Iterator[list[tuple[str, list[float] | NebiusBatchItemError]]]: ...
def embedding_chunks(
    source: BatchJob | BatchResults,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    chunk_size: int = 1_000,
    return_exceptions: bool = False,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
) -> Iterator[list[tuple[str, Any]]]:
    """``(text, vector)`` pairs of an embeddings job, in input order, ``chunk_size`` texts at
    a time: the shape a vector store's ``add_embeddings(text_embeddings=...)`` takes. Only one
    chunk is in memory at a time; the job's results stay on disk.

    ``source`` is a job (from :func:`embedding_batch_job`, submitted or not, running or
    finished: it is waited for first, with ``timeout``, ``on_progress`` and ``progress_bar``
    as in :meth:`BatchJob.wait`) or the ``BatchResults`` of a finished one. ``texts`` and
    ``texts_per_request`` are those the job was made with. A text without a vector raises its
    :class:`NebiusBatchItemError` before its chunk is yielded (the chunks before it were
    yielded); with ``return_exceptions=True`` the error takes the vector's place instead.

    Example::

        job = embedding_batch_job(embeddings, texts, state_path="corpus.json").submit()
        for chunk in embedding_chunks(job, texts):
            store.add_embeddings(chunk)
    """
    with translate_errors():
        if chunk_size < 1:
            raise InvalidRequestError(f"chunk_size must be at least 1, got {chunk_size}.")
        results = results_of(
            source, timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
        )
        results.check_text_count(len(texts), texts_per_request)
    start = 0
    chunks = results.text_vector_chunks(
        chunk_size,
        texts_per_request=texts_per_request,
        total=len(texts),
        error_class=NebiusBatchItemError,
    )
    with closing(chunks):  # stopped early: the results' reader closes here, not in the GC
        for vectors in chunks:
            if not return_exceptions:
                for vector in vectors:
                    if isinstance(vector, BatchItemError):
                        raise vector
            yield list(zip(texts[start : start + len(vectors)], vectors, strict=True))
            start += len(vectors)


async def aembedding_chunks(
    source: BatchJob | AsyncBatchJob | BatchResults,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    chunk_size: int = 1_000,
    return_exceptions: bool = False,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
) -> AsyncIterator[list[tuple[str, Any]]]:
    """The async twin of :func:`embedding_chunks`, for async code: an ``AsyncBatchJob`` is
    awaited, a ``BatchJob`` waited for in a worker thread (so is its
    ``on_progress``), and each chunk is read from disk in a worker thread, so the event loop
    never blocks on the job or the disk. The chunks and errors are :func:`embedding_chunks`'s.

    Example::

        job = embedding_batch_job(embeddings, texts, state_path="corpus.json")
        async for chunk in aembedding_chunks(job, texts):
            await asyncio.to_thread(store.add_embeddings, chunk)  # or the store's async add
    """
    with translate_errors():
        results = await aresults_of(
            source, timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
        )
    chunks = embedding_chunks(
        results,
        texts,
        texts_per_request=texts_per_request,
        chunk_size=chunk_size,
        return_exceptions=return_exceptions,
    )
    async for chunk in aiter_in_threads(cast("Generator[list[Any], None, None]", chunks)):
        yield chunk
