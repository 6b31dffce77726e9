"""Embeddings through the Batch API for LlamaIndex: texts to vectors in one call, or a corpus
of nodes into a vector store a chunk at a time. :mod:`llama_index_nebius.batch` exports these.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from llama_index.core.schema import BaseNode, MetadataMode
from typing_extensions import Unpack

from nebius_inference import InvalidRequestError
from nebius_inference.batch import (
    EMBEDDINGS_ENDPOINT,
    AsyncBatchJob,
    BatchInputsFailedError,
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

if TYPE_CHECKING:
    from .embeddings import NebiusEmbedding

__all__ = [
    "abatch_text_embeddings",
    "aembedded_node_chunks",
    "batch_text_embeddings",
    "embedded_node_chunks",
    "embedding_batch_job",
    "vectors_from_results",
]


def vectors_from_results(
    results: BatchResults, *, texts_per_request: int, total: int
) -> list[list[float]]:
    """The vectors of a finished embeddings job, one per text, in order; raises
    :class:`NebiusBatchError` (every text's vector or error in ``outputs``) if any failed."""
    outputs = results.text_vectors(texts_per_request=texts_per_request, total=total)
    return BatchInputsFailedError.check(outputs, results)


def batch_text_embeddings(
    embed_model: NebiusEmbedding,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """Embed documents through the Batch API; one vector per text, in order, the same
    vectors ``embed_model.get_text_embedding_batch`` returns.

    ``texts_per_request`` texts go in each request line (one by default, so a failure costs
    one text). Raises :class:`NebiusBatchError` (the vectors that came back in its
    ``outputs``) if any request failed. The other arguments are :func:`batch_inference`'s.
    """
    if not texts:
        return []
    job = embedding_batch_job(embed_model, texts, texts_per_request=texts_per_request, **options)
    results = job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))


async def abatch_text_embeddings(
    embed_model: NebiusEmbedding,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """The async twin of :func:`batch_text_embeddings`."""
    if not texts:
        return []
    client = embed_model.async_client
    requests = embedding_batch_requests(embed_model, texts, texts_per_request=texts_per_request)
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    job = AsyncBatchJob(client, requests, **options)
    results = await job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))


# ============================================================================================
# A corpus into a vector store, chunk by chunk
# ============================================================================================


def _texts(items: Sequence[str] | Sequence[BaseNode]) -> list[str]:
    """Texts as they are; nodes as a ``VectorStoreIndex`` embeds them (with their metadata
    for embedding, ``MetadataMode.EMBED``)."""
    return [
        item.get_content(metadata_mode=MetadataMode.EMBED) if isinstance(item, BaseNode) else item
        for item in items
    ]


def embedding_batch_job(
    embed_model: NebiusEmbedding,
    items: Sequence[str] | Sequence[BaseNode],
    *,
    texts_per_request: int = 1,
    **options: Unpack[BatchOptions],
) -> BatchJob:
    """An embeddings job for ``items`` (texts, or nodes embedded as a ``VectorStoreIndex``
    embeds them), planned and not yet sent: ``submit()`` it now (with ``state_path`` to pick it
    up again later, even from another process), then feed a vector store from it with
    :func:`embedded_node_chunks`. The arguments are :func:`batch_text_embeddings`'s."""
    requests = embedding_batch_requests(
        embed_model, _texts(items), texts_per_request=texts_per_request
    )
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    return BatchJob(embed_model.client, requests, **options)


@overload
def embedded_node_chunks(
    source: BatchJob | BatchResults,
    nodes: Sequence[BaseNode],
    *,
    texts_per_request: int = ...,
    chunk_size: int = ...,
    return_exceptions: Literal[False] = ...,
    timeout: float | None = ...,
    on_progress: ProgressCallback | None = ...,
    progress_bar: bool = ...,
) -> Iterator[list[BaseNode]]: ...
@overload
def embedded_node_chunks(
    source: BatchJob | BatchResults,
    nodes: Sequence[BaseNode],
    *,
    texts_per_request: int = ...,
    chunk_size: int = ...,
    return_exceptions: Literal[True],
    timeout: float | None = ...,
    on_progress: ProgressCallback | None = ...,
    progress_bar: bool = ...,
) -> Iterator[list[BaseNode | BatchItemError]]: ...
@overload
def embedded_node_chunks(
    source: BatchJob | BatchResults,
    nodes: Sequence[BaseNode],
    *,
    texts_per_request: int = ...,
    chunk_size: int = ...,
    return_exceptions: bool,
    timeout: float | None = ...,
    on_progress: ProgressCallback | None = ...,
    progress_bar: bool = ...,
) -> Iterator[list[BaseNode | BatchItemError]]: ...
def embedded_node_chunks(
    source: BatchJob | BatchResults,
    nodes: Sequence[BaseNode],
    *,
    texts_per_request: int = 1,
    chunk_size: int = 1_000,
    return_exceptions: bool = False,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
) -> Iterator[list[Any]]:
    """``nodes`` with their vectors, in input order, ``chunk_size`` at a time: each a copy of
    its node with ``embedding`` set, ready for a vector store's ``add(nodes)``. Only one chunk
    is in memory at a time; the job's results stay on disk.

    ``source`` is a job (from :func:`embedding_batch_job` over these nodes, submitted or not,
    running or finished: it is waited for first, with ``timeout``, ``on_progress`` and
    ``progress_bar`` as in :meth:`BatchJob.wait`) or the ``BatchResults`` of a finished one;
    ``texts_per_request`` is the job's. A node without a vector raises its
    :class:`NebiusBatchItemError` before its chunk is yielded (the chunks before it were
    yielded); with ``return_exceptions=True`` the error takes the node's place instead.

    Example::

        job = embedding_batch_job(embed_model, nodes, state_path="corpus.json").submit()
        for chunk in embedded_node_chunks(job, nodes):
            vector_store.add(chunk)
    """
    if chunk_size < 1:
        raise InvalidRequestError(f"chunk_size must be at least 1, got {chunk_size}.")
    results = results_of(
        source, timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
    )
    results.check_text_count(len(nodes), texts_per_request)
    start = 0
    chunks = results.text_vector_chunks(
        chunk_size, texts_per_request=texts_per_request, total=len(nodes)
    )
    with closing(chunks):  # stopped early: the results' reader closes here, not in the GC
        for vectors in chunks:
            chunk: list[BaseNode | BatchItemError] = []
            for node, vector in zip(nodes[start : start + len(vectors)], vectors, strict=True):
                if isinstance(vector, BatchItemError):
                    if not return_exceptions:
                        raise vector
                    chunk.append(vector)
                    continue
                embedded = node.model_copy()
                embedded.embedding = vector
                chunk.append(embedded)
            yield chunk
            start += len(vectors)


async def aembedded_node_chunks(
    source: BatchJob | AsyncBatchJob | BatchResults,
    nodes: Sequence[BaseNode],
    *,
    texts_per_request: int = 1,
    chunk_size: int = 1_000,
    return_exceptions: bool = False,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
) -> AsyncIterator[list[Any]]:
    """The async twin of :func:`embedded_node_chunks`, for ``await vector_store.async_add(...)``:
    an ``AsyncBatchJob`` is awaited, a ``BatchJob`` waited for in a worker thread (so is its
    ``on_progress``), and each chunk is read from disk in a worker thread, so the event loop
    never blocks on the job or the disk. The chunks and errors are
    :func:`embedded_node_chunks`'s.

    Example::

        job = embedding_batch_job(embed_model, nodes, state_path="corpus.json")
        async for chunk in aembedded_node_chunks(job, nodes):
            await vector_store.async_add(chunk)
    """
    results = await aresults_of(
        source, timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
    )
    chunks = embedded_node_chunks(
        results,
        nodes,
        texts_per_request=texts_per_request,
        chunk_size=chunk_size,
        return_exceptions=return_exceptions,
    )
    async for chunk in aiter_in_threads(cast("Generator[list[Any], None, None]", chunks)):
        yield chunk
