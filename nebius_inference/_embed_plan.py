"""One bulk embedding, before any I/O: its chunks and requests, the progress display, and the
assembly of the chunks in input order. Shared by the sync and async twins in ``_embed``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from . import _endpoints as ep
from ._base import RequestOptions, check_texts, parse_embedding_vectors, plan_batches
from ._errors import InvalidRequestError
from ._ratelimit import CHARS_PER_TOKEN
from ._vectors import Gather, Output, check_output, join_vectors

if TYPE_CHECKING:
    from ._reply import Reply
    from .batch import BatchProgress
    from .pacing import Pacer

__all__ = ["EMBED_BATCH_SIZE", "EMBED_MAX_CONCURRENCY", "EmbedPlan", "EmbedProgress"]

EMBED_BATCH_SIZE = 128
EMBED_MAX_CONCURRENCY = 4

EmbedProgress = Callable[["BatchProgress"], None]
"""Called after each request with a :class:`~nebius_inference.batch.BatchProgress`: ``total``
texts, ``completed`` texts embedded so far, ``parts`` requests, ``parts_done`` done."""


class EmbedPlan:
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
            from ._progress import Watch  # the Batch API's progress display

            self._watch = Watch(
                len(self.items), "embeddings", on_progress, progress_bar, unit="texts"
            )

    def announce(self, pacer: Pacer) -> None:
        """Tell the pacer the job's size (requests, and tokens at 4 characters a token), so a
        job the rate limit would make slower than the Batch API is pointed there once."""
        pacer.expect(self.model, len(self.requests), sum(map(len, self.items)) / CHARS_PER_TOKEN)

    def call(self, index: int) -> RequestOptions:
        span = self.requests[index]
        body = {"model": self.model, "input": self.items[span.start : span.stop], **self.params}
        return ep.embeddings(None, body)

    def decode(self, index: int, reply: Reply) -> Any:
        return parse_embedding_vectors(reply, self.output, len(self.requests[index]))

    def advance(self, index: int) -> None:
        """Count request ``index`` as consumed and report the progress."""
        self.done_texts += len(self.requests[index])
        self.done_requests += 1
        if self._watch is not None:
            from .batch import BatchProgress

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


def gather(plan: EmbedPlan, chunks: Iterator[tuple[int, Any]]) -> Any:
    gather = Gather(len(plan.items), plan.output)
    for start, vectors in chunks:
        gather.add(start, vectors)
    return gather.result()


def in_order(plan: EmbedPlan, results: Iterator[Any]) -> Iterator[tuple[int, Any]]:
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
