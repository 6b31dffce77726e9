"""Batch results without I/O: read output and error files and map every line to its input.

Nothing is lost: every input ends as a response or as an error that says why (an invalid
request, a failed line, a batch that failed, expired or was cancelled, a line missing from the
output, a malformed line). Lines whose ``custom_id`` cannot be recovered are counted in
:attr:`BatchResults.unmatched_lines` and described in :attr:`BatchResults.notes`.

:meth:`BatchResults.outputs` and :meth:`BatchResults.text_vectors` give one output or
:class:`BatchItemError` per input (or per text), and :meth:`BatchInputsFailedError.check`
raises them together: the framework adapters build on these three.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast, overload

from pydantic import ValidationError
from typing_extensions import Self

from .._base import decode_base64_embedding
from .._errors import NebiusError
from ..types import BatchOutputLine, ChatCompletion, CreateEmbeddingResponse, Embedding
from ._plan import EMBEDDINGS_ENDPOINT, BatchJobState, BatchPartState

__all__ = [
    "BatchFailedError",
    "BatchInputsFailedError",
    "BatchItemError",
    "BatchItemResult",
    "BatchNotFinishedError",
    "BatchProgress",
    "BatchResults",
    "ResultCollector",
    "job_progress",
]

MAX_NOTES = 50
_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*("(?:[^"\\]|\\.)*")')

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
    """The results of a job, one per input, in input order.

    Attributes:
        unmatched_lines: output or error lines whose ``custom_id`` could not be recovered.
        notes: what was odd about the output (unmatched lines, duplicates), for logs.
    """

    def __init__(
        self, items: list[BatchItemResult], *, unmatched_lines: int = 0, notes: list[str] | None
    ) -> None:
        self._items = items
        self.unmatched_lines = unmatched_lines
        self.notes = notes or []

    @overload
    def __getitem__(self, index: int) -> BatchItemResult: ...
    @overload
    def __getitem__(self, index: slice) -> list[BatchItemResult]: ...
    def __getitem__(self, index: int | slice) -> BatchItemResult | list[BatchItemResult]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[BatchItemResult]:
        return iter(self._items)

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
            expected = min(texts_per_request, total - item.index * texts_per_request)
            if not item.ok or not isinstance(item.response, CreateEmbeddingResponse):
                outputs.extend([error_class.of(item)] * expected)
                continue
            vectors = item.response.vectors()
            if len(vectors) != expected:
                reason = f"the reply has {len(vectors)} vectors for {expected} texts"
                outputs.extend([error_class.of(item, reason)] * expected)
            else:
                outputs.extend(vectors)
        return outputs


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


class ResultCollector:
    """Reads the files of a finished job, then fills in what is missing with the reason."""

    def __init__(self, state: BatchJobState) -> None:
        self._state = state
        self._lookup = state.index_lookup()
        self._items: list[BatchItemResult | None] = [None] * state.total
        self.unmatched_lines = 0
        self.notes: list[str] = []
        self._notes_dropped = 0

    def add_file(self, content: bytes, *, part: BatchPartState, kind: str) -> None:
        """Read one output or error file (``kind`` names it in notes) of ``part``."""
        self._add_lines(content.splitlines(), part=part, kind=kind)

    def add_path(self, path: Path, *, part: BatchPartState, kind: str) -> None:
        """Read one downloaded output or error file line by line (never whole in memory)."""
        with open(path, "rb") as lines:
            self._add_lines(lines, part=part, kind=kind)

    def _add_lines(self, lines: Iterable[bytes], *, part: BatchPartState, kind: str) -> None:
        for number, raw in enumerate(lines, start=1):
            text = raw.strip()
            if text:
                self._add_line(text, part=part, where=f"{kind} file line {number}")

    def _note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        else:
            self._notes_dropped += 1

    def _add_line(self, text: bytes, *, part: BatchPartState, where: str) -> None:
        batch = part.batch_id
        try:
            data = json.loads(text)
        except ValueError:
            self._malformed(_recover_custom_id(text), "is not valid JSON", part=part, where=where)
            return
        if not isinstance(data, dict):
            self._malformed(None, "is not a JSON object", part=part, where=where)
            return
        try:
            line = BatchOutputLine.model_validate(data)
        except ValidationError as exc:
            cid = data.get("custom_id")
            recovered = cid if isinstance(cid, str) and cid else None
            problem = f"does not have the batch line shape ({_short(exc)})"
            self._malformed(recovered, problem, part=part, where=where)
            return
        index = self._index(line.custom_id, where=where)
        if index is None:
            return
        outcome = line.outcome()
        response: BatchResponse | None = None
        error = outcome.error
        if outcome.body is not None:
            try:
                response = _parse_body(self._state.endpoint, outcome.body)
            except (ValidationError, ValueError, TypeError, KeyError) as exc:
                error = f"the response in the batch output could not be read ({_short(exc)})"
        self._set(
            BatchItemResult(
                index=index,
                custom_id=line.custom_id,
                response=response,
                error=error,
                status_code=outcome.status_code,
                batch_id=batch,
            ),
            where=where,
        )

    def _index(self, custom_id: str, *, where: str) -> int | None:
        index = self._state.index_of(custom_id, self._lookup)
        if index is None:
            self.unmatched_lines += 1
            self._note(f"{where}: custom_id {custom_id!r} is not one of this job's requests")
        return index

    def _malformed(
        self, custom_id: str | None, problem: str, *, part: BatchPartState, where: str
    ) -> None:
        if custom_id is None:
            self.unmatched_lines += 1
            self._note(f"{where} {problem} and its custom_id cannot be recovered")
            return
        index = self._index(custom_id, where=where)
        if index is not None:
            error = f"its line in the batch output {problem} ({where})"
            self._set(
                BatchItemResult(index, custom_id, error=error, batch_id=part.batch_id),
                where=where,
            )

    def _set(self, item: BatchItemResult, *, where: str) -> None:
        first = self._items[item.index]
        if first is None:
            self._items[item.index] = item
            return
        note = f"custom_id {item.custom_id!r} appeared more than once; the first line was kept"
        self._note(f"{where}: {note}")
        if first.note is None:
            self._items[item.index] = dataclasses.replace(first, note=note)

    def finish(self) -> BatchResults:
        """Fill every input without a line with the reason, and return the results."""
        for index, reason in self._state.invalid.items():
            error = f"invalid, so never sent: {reason}"
            self._items[index] = BatchItemResult(index, self._state.custom_id(index), error=error)
        for part in self._state.parts:
            for position, index in enumerate(part.indices()):
                if self._items[index] is None:
                    reason = _missing_reason(part, part.line_errors.get(position + 1))
                    self._items[index] = BatchItemResult(
                        index, self._state.custom_id(index), error=reason, batch_id=part.batch_id
                    )
        for index, item in enumerate(self._items):  # an input no part holds: a corrupt state
            if item is None:
                self._items[index] = BatchItemResult(
                    index, self._state.custom_id(index), error="the job's state lost this request"
                )
        if self._notes_dropped:
            self.notes.append(f"... and {self._notes_dropped} more notes")
        items = [item for item in self._items if item is not None]
        return BatchResults(items, unmatched_lines=self.unmatched_lines, notes=self.notes)


def _missing_reason(part: BatchPartState, line_error: str | None) -> str:
    batch = part.batch_id
    state = part.state
    if part.cancelled_before_submit:
        return "the job was cancelled before this request's batch was submitted"
    if part.submit_error is not None:
        return f"this request's batch could not be submitted: {part.submit_error}"
    if line_error:
        return f"batch {batch} rejected this request: {line_error}"
    details = f": {part.errors}" if part.errors else ""
    if state == "completed":
        return f"missing from the output of batch {batch} (no output or error line)"
    if state == "failed":
        return f"batch {batch} failed{details}"
    if state == "expired":
        return f"batch {batch} expired before this request ran"
    if state == "cancelled":
        return f"batch {batch} was cancelled before this request ran"
    return f"batch {batch} has not finished (state {state})"


def _recover_custom_id(text: bytes) -> str | None:
    match = _CUSTOM_ID.search(text)
    if match is None:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return f"{exc.error_count()} invalid fields in {exc.title}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _parse_body(endpoint: str, body: dict[str, Any]) -> BatchResponse:
    if endpoint != EMBEDDINGS_ENDPOINT:
        if not isinstance(body.get("choices"), list):
            raise ValueError("the reply has no choices")
        return ChatCompletion.model_validate(body)
    data = []
    for position, item in enumerate(body["data"]):
        vector = item["embedding"]
        if isinstance(vector, str):
            vector = decode_base64_embedding(vector)
        elif not isinstance(vector, list):
            raise TypeError("an embedding is neither a list nor base64")
        data.append(
            Embedding.model_construct(
                object=item.get("object", "embedding"),
                index=int(item.get("index", position)),
                embedding=[float(x) for x in vector],
            )
        )
    meta = {key: value for key, value in body.items() if key != "data"}
    result = CreateEmbeddingResponse.model_validate({**meta, "data": []})
    result.data = data
    return result
