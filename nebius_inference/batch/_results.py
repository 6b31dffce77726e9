"""What a batch job gives back, without I/O: one :class:`BatchItemResult` per input in
:class:`BatchResults`, the job's :class:`BatchProgress`, and the batch errors. (:mod:`._store`
reads the job's files into them.)

:meth:`BatchResults.outputs` and :meth:`BatchResults.text_vectors` give one output or
:class:`BatchItemError` per input (or per text), and :meth:`BatchInputsFailedError.check`
raises them together: the framework adapters build on these three.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast, overload

from typing_extensions import Self

from .._errors import APIResponseValidationError, InvalidRequestError, NebiusError
from .._vectors import Gather, check_output, require_numpy
from ..types import ChatCompletion, CreateEmbeddingResponse
from ._state import BatchJobState

__all__ = [
    "BatchFailedError",
    "BatchInputsFailedError",
    "BatchItemError",
    "BatchItemResult",
    "BatchNotFinishedError",
    "BatchProgress",
    "BatchResults",
    "job_progress",
]


BatchResponse = ChatCompletion | CreateEmbeddingResponse
T = TypeVar("T")


class BatchNotFinishedError(NebiusError, TimeoutError):
    """The job's batches have not all finished (``wait(timeout=...)`` ran out, or
    ``results()`` was called early). The batches keep running: wait again or resume later."""


class BatchFailedError(NebiusError):
    """Some requests of a batch job failed (raised by :meth:`BatchResults.raise_for_errors`).

    Attributes:
        failures: the failed items, each with its ``index`` and ``error``.
        results: all results, successes included.
    """

    def __init__(self, results: BatchResults) -> None:
        self.results = results
        self.failures = results.failures
        shown = "; ".join(f"[{item.index}] {item.error}" for item in self.failures[:3])
        more = f"; and {len(self.failures) - 3} more" if len(self.failures) > 3 else ""
        super().__init__(
            f"{len(self.failures)} of {len(results)} batch requests failed: {shown}{more}. "
            "The successful results are in .results."
        )


class BatchItemError(NebiusError):
    """One input of a batch job has no result (it was invalid, the API rejected its line, its
    batch failed, expired or was cancelled, its output line was missing or unreadable...).

    Attributes:
        reason: why, as the batch reported it.
        index: the input's position (for embeddings: the request's, ``texts_per_request``
            texts each).
        custom_id: the id its line carried in the batch files.
        status_code: the HTTP status the batch gave the line, when it gave one.
        batch_id: the batch the input ran in.
    """

    def __init__(
        self,
        reason: str,
        *,
        index: int,
        custom_id: str,
        status_code: int | None = None,
        batch_id: str | None = None,
    ) -> None:
        self.reason = reason
        self.index = index
        self.custom_id = custom_id
        self.status_code = status_code
        self.batch_id = batch_id
        status = f" (status {status_code})" if status_code is not None else ""
        super().__init__(f"Batch input {index} failed{status}: {reason}")

    @classmethod
    def of(cls, item: BatchItemResult, reason: str | None = None) -> Self:
        """The error for ``item`` (``reason`` defaults to the item's own error)."""
        return cls(
            reason or item.error or "no response",
            index=item.index,
            custom_id=item.custom_id,
            status_code=item.status_code,
            batch_id=item.batch_id,
        )


class BatchInputsFailedError(NebiusError):
    """Some inputs of a batch job failed; raised once the whole job has finished.

    Attributes:
        outputs: one entry per input, in order: its result, or its :class:`BatchItemError`.
            The successful results are all here.
        errors: the distinct errors, in input order.
        results: the job's :class:`BatchResults` (raw replies, batch ids, notes), if known.
    """

    def __init__(self, outputs: Sequence[Any], results: BatchResults | None = None) -> None:
        self.outputs = list(outputs)
        self.results = results
        failed = [o for o in self.outputs if isinstance(o, BatchItemError)]
        self.errors: list[BatchItemError] = list(dict.fromkeys(failed))
        shown = "; ".join(f"[{e.index}] {e.reason}" for e in self.errors[:3])
        more = f"; and {len(self.errors) - 3} more" if len(self.errors) > 3 else ""
        super().__init__(
            f"{len(failed)} of {len(self.outputs)} batch inputs failed: {shown}{more}. "
            "The successful results are in .outputs."
        )

    @classmethod
    def check(cls, outputs: Sequence[T | BatchItemError], results: BatchResults | None) -> list[T]:
        """``outputs`` as a list if none is a :class:`BatchItemError`; else raise this class
        with all of them."""
        if any(isinstance(o, BatchItemError) for o in outputs):
            raise cls(outputs, results)
        return cast("list[T]", list(outputs))


@dataclass(frozen=True)
class BatchItemResult:
    """The result of one input request.

    Attributes:
        index: the request's position in the job's input.
        custom_id: the id its line carried in the batch files.
        response: the parsed reply (``ChatCompletion`` or ``CreateEmbeddingResponse``), if any.
        error: why there is no response, if there is none.
        status_code: the HTTP status the batch reported for this line, when it gave one.
        batch_id: the batch this request ran in.
        note: something worth knowing that did not stop the result (e.g. a duplicated line).
    """

    index: int
    custom_id: str
    response: BatchResponse | None = None
    error: str | None = None
    status_code: int | None = None
    batch_id: str | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.response is not None


class BatchResults(Sequence[BatchItemResult]):
    """The results of a job, one per input, in input order. A job's results stay on disk (one
    SQLite row per input, next to the state file or in the job's temporary folder) and are
    read when asked for: by index, in order, or :meth:`chunks` at a time.

    Attributes:
        unmatched_lines: output or error lines whose ``custom_id`` could not be recovered.
        notes: what was odd about the output (unmatched lines, duplicates), for logs.
    """

    def __init__(
        self,
        items: Sequence[BatchItemResult],
        *,
        unmatched_lines: int = 0,
        notes: list[str] | None,
    ) -> None:
        self._items = items
        self.unmatched_lines = unmatched_lines
        self.notes = notes or []

    @overload
    def __getitem__(self, index: int) -> BatchItemResult: ...
    @overload
    def __getitem__(self, index: slice) -> list[BatchItemResult]: ...
    def __getitem__(self, index: int | slice) -> BatchItemResult | list[BatchItemResult]:
        if isinstance(index, slice):
            return list(self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[BatchItemResult]:
        return iter(self._items)

    def chunks(self, size: int = 1_000) -> Generator[list[BatchItemResult], None, None]:
        """The results in input order, ``size`` at a time: a job's results are read from disk
        one chunk at a time (only that chunk in memory)."""
        if hasattr(self._items, "chunks"):
            yield from self._items.chunks(size)
            return
        for start in range(0, len(self._items), size):
            yield list(self._items[start : start + size])

    def __repr__(self) -> str:
        return (
            f"BatchResults(total={len(self)}, failed={len(self.failures)}, "
            f"unmatched_lines={self.unmatched_lines})"
        )

    @property
    def ok(self) -> bool:
        """True when every request has a response."""
        return all(item.ok for item in self._items)

    @property
    def failures(self) -> list[BatchItemResult]:
        return [item for item in self._items if not item.ok]

    def raise_for_errors(self) -> None:
        """Raise :class:`BatchFailedError` if any request failed."""
        if not self.ok:
            raise BatchFailedError(self)

    def chat_completions(self) -> list[ChatCompletion]:
        """Every reply of a chat job, in input order; raises :class:`BatchFailedError` first if
        any request failed."""
        self.raise_for_errors()
        return [_expect(item, ChatCompletion) for item in self._items]

    def contents(self) -> list[str | None]:
        """The first choice's text of every chat reply (raises if any request failed)."""
        return [
            reply.choices[0].message.content if reply.choices else None
            for reply in self.chat_completions()
        ]

    def embeddings(self) -> list[list[float]]:
        """Every vector of an embeddings job, in input order, the vectors of requests with
        several inputs one after another; raises :class:`BatchFailedError` if any failed."""
        self.raise_for_errors()
        return [
            vector
            for item in self._items
            for vector in _expect(item, CreateEmbeddingResponse).vectors()
        ]

    def outputs(
        self,
        convert: Callable[[BatchItemResult], T],
        *,
        error_class: type[BatchItemError] = BatchItemError,
    ) -> list[T | BatchItemError]:
        """One output per input, in order: ``convert(item)`` for a successful item; for a
        failed one, or one ``convert`` cannot read (it raised a ``NebiusError``,
        ``ValueError`` or ``TypeError``), its ``error_class`` error."""
        outputs: list[T | BatchItemError] = []
        for item in self._items:
            if not item.ok:
                outputs.append(error_class.of(item))
                continue
            try:
                outputs.append(convert(item))
            except (NebiusError, ValueError, TypeError) as exc:
                outputs.append(error_class.of(item, f"its reply could not be read: {exc}"))
        return outputs

    def text_vectors(
        self,
        *,
        texts_per_request: int,
        total: int,
        error_class: type[BatchItemError] = BatchItemError,
    ) -> list[list[float] | BatchItemError]:
        """One vector per text of an embeddings job of ``total`` texts, ``texts_per_request``
        per request, in order; each text of a failed request (or of a reply with the wrong
        number of vectors) gets the request's ``error_class`` error."""
        outputs: list[list[float] | BatchItemError] = []
        for item in self._items:
            outputs.extend(_text_vectors(item, texts_per_request, total, error_class))
        return outputs

    def check_text_count(self, texts: int, texts_per_request: int) -> None:
        """Raise ``InvalidRequestError`` unless ``texts`` texts, ``texts_per_request`` per
        request, make this job's number of requests (texts that do not match the job)."""
        if texts_per_request < 1:
            raise InvalidRequestError(
                f"texts_per_request must be at least 1, got {texts_per_request}."
            )
        requests = -(-texts // texts_per_request)
        if requests != len(self):
            raise InvalidRequestError(
                f"{texts} texts, {texts_per_request} per request, make {requests} requests, "
                f"but the job has {len(self)}: pass the texts and texts_per_request the job "
                "was made with."
            )

    def text_vector_chunks(
        self,
        size: int = 1_000,
        *,
        texts_per_request: int,
        total: int,
        error_class: type[BatchItemError] = BatchItemError,
    ) -> Generator[list[list[float] | BatchItemError], None, None]:
        """:meth:`text_vectors` ``size`` texts at a time (the last chunk may be shorter), in
        order, read from disk a chunk at a time: what feeds a vector store from a corpus-sized
        job without holding every vector."""
        if size < 1:
            raise InvalidRequestError(f"size must be at least 1, got {size}.")
        pending: list[list[float] | BatchItemError] = []
        # closing: a caller that stops early closes the reader here, in its own thread.
        with closing(self.chunks(max(1, size // texts_per_request))) as chunks:
            for chunk in chunks:
                for item in chunk:
                    pending.extend(_text_vectors(item, texts_per_request, total, error_class))
                while len(pending) >= size:
                    yield pending[:size]
                    del pending[:size]
        if pending:
            yield pending

    def embedding_array(
        self,
        output: Literal["array", "numpy"] = "array",
        *,
        texts_per_request: int,
        total: int,
        size: int = 1_000,
    ) -> Any:
        """Every vector of an embeddings job of ``total`` texts, ``texts_per_request`` per
        request, in input order as ONE contiguous float32 block: ``"array"`` a flat
        ``array('f')`` of ``total * dimensions`` numbers (row ``i`` is
        ``block[i * dims : (i + 1) * dims]``, ``dims = len(block) // total``), ``"numpy"`` a
        ``(total, dimensions)`` float32 array (needs numpy). Read from disk ``size`` texts at a
        time, so memory holds the block and one chunk. Raises :class:`BatchFailedError` if any
        request failed, and a text's :class:`BatchItemError` if its reply cannot be read."""
        if output not in ("array", "numpy"):
            raise InvalidRequestError(
                f"output must be 'array' or 'numpy', got {output!r} "
                "(for lists of Python floats use embeddings())."
            )
        check_output(output)
        self.check_text_count(total, texts_per_request)
        self.raise_for_errors()
        flat = array("f")
        gather = Gather(total, "numpy") if output == "numpy" else None
        dims: int | None = None
        start = 0
        chunks = self.text_vector_chunks(size, texts_per_request=texts_per_request, total=total)
        with closing(chunks):
            for chunk in chunks:
                block = array("f")
                for vector in chunk:
                    if isinstance(vector, BatchItemError):
                        raise vector
                    if dims is None:
                        dims = len(vector)
                    elif len(vector) != dims:
                        raise APIResponseValidationError(
                            f"The embeddings replies hold vectors of different lengths ({dims} "
                            f"and {len(vector)}), so they do not fit one block. Use "
                            "text_vector_chunks(), or report it if it persists."
                        )
                    block.fromlist(vector)
                if gather is None:
                    flat.extend(block)
                else:
                    rows = require_numpy().frombuffer(block, dtype="float32")
                    gather.add(start, rows.reshape(len(chunk), dims or 0))
                start += len(chunk)
        return flat if gather is None else gather.result()


def _text_vectors(
    item: BatchItemResult, texts_per_request: int, total: int, error_class: type[BatchItemError]
) -> list[list[float] | BatchItemError]:
    """The vectors of one request's texts, or its error once per text."""
    expected = min(texts_per_request, total - item.index * texts_per_request)
    if not item.ok or not isinstance(item.response, CreateEmbeddingResponse):
        return [error_class.of(item)] * expected
    vectors = item.response.vectors()
    if len(vectors) != expected:
        reason = f"the reply has {len(vectors)} vectors for {expected} texts"
        return [error_class.of(item, reason)] * expected
    return list(vectors)


def _expect(item: BatchItemResult, kind: type[Any]) -> Any:
    if not isinstance(item.response, kind):
        raise TypeError(f"Result {item.index} is not a {kind.__name__}; check the job's endpoint.")
    return item.response


@dataclass(frozen=True)
class BatchProgress:
    """Where a job stands, from the ``request_counts`` the API reports.

    Attributes:
        total: requests in the job.
        completed: requests that succeeded so far.
        failed: requests that failed so far.
        parts: batches (one per input file) in the job.
        parts_done: batches in a terminal state.
        states: how many parts are in each state (``running``, ``completed``, ...).
    """

    total: int
    completed: int
    failed: int
    parts: int
    parts_done: int
    states: Mapping[str, int] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.parts_done == self.parts

    @property
    def finished_requests(self) -> int:
        return self.completed + self.failed


def job_progress(state: BatchJobState) -> BatchProgress:
    states: dict[str, int] = {}
    for part in state.parts:
        states[part.state] = states.get(part.state, 0) + 1
    return BatchProgress(
        total=state.total,
        completed=sum(part.completed for part in state.parts),
        failed=sum(part.failed for part in state.parts) + len(state.invalid),
        parts=len(state.parts),
        parts_done=sum(1 for part in state.parts if part.is_terminal),
        states=states,
    )
