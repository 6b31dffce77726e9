"""A finished job's files read into its results, without network I/O: :class:`ResultCollector`
maps every output and error line to its input and fills in what is missing with the reason;
:class:`ResultStore` keeps the results on disk, one SQLite row per input (its reply as the JSON
the batch returned, or why there is none), read back in input order a chunk at a time, or one
by index.

Nothing is lost: every input ends as a response or as an error that says why (an invalid
request, a failed line, a batch that failed, expired or was cancelled, a line missing from the
output, a malformed line). Lines whose ``custom_id`` cannot be recovered are counted in
:attr:`BatchResults.unmatched_lines` and described in :attr:`BatchResults.notes`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, overload

from pydantic import ValidationError

from .._base import decode_base64_embedding
from ..types import BatchOutputLine, ChatCompletion, CreateEmbeddingResponse, Embedding
from ._results import BatchItemResult, BatchResponse, BatchResults
from ._state import EMBEDDINGS_ENDPOINT, BatchJobState, BatchPartState

__all__ = ["ResultCollector", "ResultStore", "parse_body"]

MAX_NOTES = 50
_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*("(?:[^"\\]|\\.)*")')

CHUNK = 1_000
_COLUMNS = "idx, custom_id, body, error, status, batch_id, note"
Row = tuple[int, str, str | None, str | None, int | None, str | None, str | None]


class ResultStore(Sequence[BatchItemResult]):
    """The results of a job in a SQLite file, one per input, in input order.

    ``parse`` turns a stored reply body back into its response object when it is read. The
    store keeps ``owner`` (whatever keeps its folder alive) for as long as it lives.
    """

    def __init__(
        self, path: Path, parse: Callable[[dict[str, Any]], BatchResponse], owner: object = None
    ) -> None:
        self._path = path
        self._parse = parse
        self._owner = owner

    @classmethod
    def create(
        cls, path: Path, parse: Callable[[dict[str, Any]], BatchResponse], owner: object = None
    ) -> ResultStore:
        """A new, empty store at ``path`` (an older file there is replaced)."""
        path.unlink(missing_ok=True)
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(
                "CREATE TABLE results (idx INTEGER PRIMARY KEY, custom_id TEXT NOT NULL, "
                "body TEXT, error TEXT, status INTEGER, batch_id TEXT, note TEXT)"
            )
        store = cls(path, parse, owner)
        store._db = sqlite3.connect(path)
        return store

    # -- writing (while the job's files are read) -----------------------------------------------

    _db: sqlite3.Connection | None = None

    def put(self, item: BatchItemResult, body: dict[str, Any] | None = None) -> bool:
        """Store ``item`` (with its reply ``body``) unless its input has a result already;
        return whether it was stored."""
        assert self._db is not None, "the store is closed for writing"
        raw = json.dumps(body, separators=(",", ":")) if body is not None else None
        cursor = self._db.execute(
            f"INSERT OR IGNORE INTO results ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item.index, item.custom_id, raw, item.error, item.status_code, item.batch_id, None),
        )
        return cursor.rowcount == 1

    def put_missing(self, items: Iterable[BatchItemResult]) -> None:
        """Store each of ``items`` whose input has no result yet."""
        assert self._db is not None, "the store is closed for writing"
        self._db.executemany(
            f"INSERT OR IGNORE INTO results ({_COLUMNS}) VALUES (?, ?, NULL, ?, ?, ?, NULL)",
            ((i.index, i.custom_id, i.error, i.status_code, i.batch_id) for i in items),
        )

    def note(self, index: int, note: str) -> None:
        """Attach ``note`` to the result of input ``index`` if it has none."""
        assert self._db is not None, "the store is closed for writing"
        self._db.execute(
            "UPDATE results SET note = ? WHERE idx = ? AND note IS NULL", (note, index)
        )

    def missing(self, total: int) -> Iterator[int]:
        """The inputs below ``total`` without a result."""
        assert self._db is not None, "the store is closed for writing"
        expected = 0
        for (index,) in self._db.execute("SELECT idx FROM results ORDER BY idx"):
            yield from range(expected, index)
            expected = index + 1
        yield from range(expected, total)

    def close(self) -> None:
        """Commit and close for writing; reading opens its own connections."""
        if self._db is not None:
            self._db.commit()
            self._db.close()
            self._db = None

    # -- reading ---------------------------------------------------------------------------------

    def _item(self, row: Row) -> BatchItemResult:
        index, custom_id, body, error, status, batch_id, note = row
        response = self._parse(json.loads(body)) if body is not None and error is None else None
        return BatchItemResult(index, custom_id, response, error, status, batch_id, note)

    def __len__(self) -> int:
        with closing(sqlite3.connect(self._path)) as db:
            count: int = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        return count

    @overload
    def __getitem__(self, index: int) -> BatchItemResult: ...
    @overload
    def __getitem__(self, index: slice) -> list[BatchItemResult]: ...
    def __getitem__(self, index: int | slice) -> BatchItemResult | list[BatchItemResult]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        with closing(sqlite3.connect(self._path)) as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM results WHERE idx = ?", (index,)).fetchone()
        if row is None:
            raise IndexError(f"no result {index}")
        return self._item(row)

    def __iter__(self) -> Iterator[BatchItemResult]:
        for chunk in self.chunks():
            yield from chunk

    def chunks(self, size: int = CHUNK) -> Iterator[list[BatchItemResult]]:
        """The results in input order, ``size`` at a time (one chunk in memory at once)."""
        # Only this generator uses the connection; a generator dropped unfinished may be
        # closed by the garbage collector in another thread.
        with closing(sqlite3.connect(self._path, check_same_thread=False)) as db:
            cursor = db.execute(f"SELECT {_COLUMNS} FROM results ORDER BY idx")
            while rows := cursor.fetchmany(size):
                yield [self._item(row) for row in rows]


class ResultCollector:
    """Reads the files of a finished job, then fills in what is missing with the reason."""

    def __init__(self, state: BatchJobState, store: ResultStore | None = None) -> None:
        self._state = state
        self._lookup = state.index_lookup()
        self._store = store  # on disk; else in memory
        self._items: list[BatchItemResult | None] = [None] * (0 if store else state.total)
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
                response = parse_body(self._state.endpoint, outcome.body)
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
            body=outcome.body if response is not None else None,
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

    def _set(
        self, item: BatchItemResult, *, where: str, body: dict[str, Any] | None = None
    ) -> None:
        note = f"custom_id {item.custom_id!r} appeared more than once; the first line was kept"
        if self._store is not None:
            if not self._store.put(item, body):
                self._note(f"{where}: {note}")
                self._store.note(item.index, note)
            return
        first = self._items[item.index]
        if first is None:
            self._items[item.index] = item
            return
        self._note(f"{where}: {note}")
        if first.note is None:
            self._items[item.index] = dataclasses.replace(first, note=note)

    def _missing(self) -> Iterator[BatchItemResult]:
        """A result for every input, with the reason it has no line (those with a line are
        kept by the caller)."""
        for index, reason in self._state.invalid.items():
            error = f"invalid, so never sent: {reason}"
            yield BatchItemResult(index, self._state.custom_id(index), error=error)
        for part in self._state.parts:
            for position, index in enumerate(part.indices()):
                reason = _missing_reason(part, part.line_errors.get(position + 1))
                cid = self._state.custom_id(index)
                yield BatchItemResult(index, cid, error=reason, batch_id=part.batch_id)

    def finish(self) -> BatchResults:
        """Fill every input without a line with the reason, and return the results."""
        lost = "the job's state lost this request"  # an input no part holds: a corrupt state
        if self._notes_dropped:
            self.notes.append(f"... and {self._notes_dropped} more notes")
        if self._store is not None:
            self._store.put_missing(self._missing())
            missing = list(self._store.missing(self._state.total))
            self._store.put_missing(
                BatchItemResult(i, self._state.custom_id(i), error=lost) for i in missing
            )
            self._store.close()
            return BatchResults(self._store, unmatched_lines=self.unmatched_lines, notes=self.notes)
        for item in self._missing():
            if self._items[item.index] is None:
                self._items[item.index] = item
        for index, found in enumerate(self._items):
            if found is None:
                self._items[index] = BatchItemResult(
                    index, self._state.custom_id(index), error=lost
                )
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


def parse_body(endpoint: str, body: dict[str, Any]) -> BatchResponse:
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
