"""High-level batch inference: many requests at half the price, results in input order.

One call takes a list of chat-completion (or embedding) request bodies, writes the JSONL files
(one model per file, split by the API's request and byte limits), uploads them, creates the
batches, polls with backoff, downloads the output and error files and maps every line back to
its input. Every input ends as a response or as an error that says why.

Example::

    from nebius_inference import NebiusClient
    from nebius_inference.batch import chat_requests, run_batch

    client = NebiusClient()  # reads NEBIUS_API_KEY
    requests = chat_requests(
        ["What is 2+2?", "Name a prime."], model="Qwen/Qwen3-235B-A22B-Instruct-2507", max_tokens=64
    )
    results = run_batch(client, requests, state_path="job.json", progress_bar=True)
    for item in results:  # one per request, in input order
        print(item.index, item.response.choices[0].message.content if item.ok else item.error)

Submit now and come back later (even from another process): the state file holds the batch and
file ids, so nothing is uploaded or created twice::

    job = BatchJob(client, requests, state_path="job.json").submit()
    ...
    job = BatchJob.resume(NebiusClient(), "job.json")
    results = job.wait(progress_bar=True)
    results.raise_for_errors()

Embeddings at scale: ``embed_batch(client, texts, model="Qwen/Qwen3-Embedding-8B")`` returns
the vectors in order. ``AsyncBatchJob``, ``arun_batch`` and ``aembed_batch`` are the async twins.

Run the same call again after a crash and it resumes the job saved at ``state_path`` (the
requests are checked against the saved job's fingerprint): nothing is uploaded or created twice.
An invalid request ends as its own error, never sent; ``refuse_invalid=True`` refuses the job.

The framework adapters build on :class:`BatchJob` and these public pieces:
:meth:`BatchResults.outputs` and :meth:`BatchResults.text_vectors` (one output or
:class:`BatchItemError` per input or text; :meth:`BatchResults.text_vector_chunks` gives them a
chunk at a time, read from disk), :meth:`BatchInputsFailedError.check`, and
:class:`BatchJobWrapper` (the base of a job that returns a framework's objects);
:func:`results_of` / :func:`aresults_of` take a job or its results, and
:func:`aiter_in_threads` steps a chunk reader from async code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from typing_extensions import Unpack

from .._client import AsyncNebiusClient, NebiusClient
from .._errors import InvalidRequestError
from ._base import BatchOptions, ProgressCallback
from ._jobs import AsyncBatchJob, BatchJob, BatchJobWrapper
from ._plan import DEFAULT_MAX_BYTES_PER_FILE, DEFAULT_MAX_REQUESTS_PER_FILE, RequestInput
from ._results import (
    BatchFailedError,
    BatchInputsFailedError,
    BatchItemError,
    BatchItemResult,
    BatchNotFinishedError,
    BatchProgress,
    BatchResults,
)
from ._sources import aiter_in_threads, aresults_of, results_of
from ._state import (
    CHAT_ENDPOINT,
    EMBEDDINGS_ENDPOINT,
    BatchJobState,
    BatchPartState,
    BatchStateError,
    Endpoint,
)

__all__ = [
    "CHAT_ENDPOINT",
    "DEFAULT_MAX_BYTES_PER_FILE",
    "DEFAULT_MAX_REQUESTS_PER_FILE",
    "EMBEDDINGS_ENDPOINT",
    "AsyncBatchJob",
    "BatchFailedError",
    "BatchInputsFailedError",
    "BatchItemError",
    "BatchItemResult",
    "BatchJob",
    "BatchJobState",
    "BatchJobWrapper",
    "BatchNotFinishedError",
    "BatchOptions",
    "BatchPartState",
    "BatchProgress",
    "BatchResults",
    "BatchStateError",
    "Endpoint",
    "ProgressCallback",
    "RequestInput",
    "aembed_batch",
    "aiter_in_threads",
    "aresults_of",
    "arun_batch",
    "chat_requests",
    "embed_batch",
    "embedding_requests",
    "results_of",
    "run_batch",
]

# ============================================================================================
# One-call helpers
# ============================================================================================


def run_batch(
    client: NebiusClient,
    requests: Iterable[RequestInput],
    *,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    sleep: Callable[[float], None] | None = None,
    **options: Unpack[BatchOptions],
) -> BatchResults:
    """Run requests as batches and return one :class:`BatchItemResult` per request, in order.

    ``options`` are :class:`BatchJob`'s (``state_path``, ``max_requests_per_file``, ...).
    """
    job = BatchJob(client, requests, sleep=sleep, **options)
    return job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)


async def arun_batch(
    client: AsyncNebiusClient,
    requests: Iterable[RequestInput],
    *,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    **options: Unpack[BatchOptions],
) -> BatchResults:
    """The async twin of :func:`run_batch`."""
    job = AsyncBatchJob(client, requests, sleep=sleep, **options)
    return await job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)


def embedding_requests(
    texts: Sequence[str], *, model: str, texts_per_request: int = 1, **params: Any
) -> list[dict[str, Any]]:
    """Embedding request bodies for ``texts``: ``texts_per_request`` texts per request (one by
    default, so a failure costs one text), ``params`` (``dimensions``, ...) added to each."""
    if isinstance(texts, str):
        raise InvalidRequestError("Pass a list of texts; wrap a single text in a list.")
    if texts_per_request < 1:
        raise InvalidRequestError("texts_per_request must be at least 1.")
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise InvalidRequestError(f"texts[{i}] is {type(text).__name__}, not str.")
    return [
        {"model": model, "input": items[start : start + texts_per_request], **params}
        for start in range(0, len(items), texts_per_request)
    ]


def chat_requests(
    prompts: Sequence[str], *, model: str, system: str | None = None, **params: Any
) -> list[dict[str, Any]]:
    """Chat request bodies, one per prompt (with an optional system message), ``params``
    (``max_tokens``, ``temperature``, ...) added to each."""
    if isinstance(prompts, str):
        raise InvalidRequestError("Pass a list of prompts; wrap a single prompt in a list.")
    head = [{"role": "system", "content": system}] if system is not None else []
    return [
        {"model": model, "messages": [*head, {"role": "user", "content": prompt}], **params}
        for prompt in prompts
    ]


def embed_batch(
    client: NebiusClient,
    texts: Sequence[str],
    *,
    model: str,
    texts_per_request: int = 1,
    timeout: float | None = None,
    progress_bar: bool = False,
    sleep: Callable[[float], None] | None = None,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """Embed ``texts`` through the Batch API; the vectors come back in order.

    Raises :class:`BatchFailedError` (with the partial results) if any request failed.
    """
    if not texts:
        return []
    requests = embedding_requests(texts, model=model, texts_per_request=texts_per_request)
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    results = run_batch(
        client, requests, timeout=timeout, progress_bar=progress_bar, sleep=sleep, **options
    )
    return results.embeddings()


async def aembed_batch(
    client: AsyncNebiusClient,
    texts: Sequence[str],
    *,
    model: str,
    texts_per_request: int = 1,
    timeout: float | None = None,
    progress_bar: bool = False,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """The async twin of :func:`embed_batch`."""
    if not texts:
        return []
    requests = embedding_requests(texts, model=model, texts_per_request=texts_per_request)
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    results = await arun_batch(
        client, requests, timeout=timeout, progress_bar=progress_bar, sleep=sleep, **options
    )
    return results.embeddings()
