"""The saved state of a batch job: one :class:`BatchPartState` per batch, the
:class:`BatchJobState` that holds them, and reading a batch's ``errors``; no I/O beyond
reading and writing the state file.

:class:`BatchJobState` is everything needed to pick a job up again in another process (batch
ids, file ids, custom_id -> input index mapping, the status of each part); it is saved as a
small JSON file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from .._errors import NebiusError
from ..types import TERMINAL_STATES, Batch, normalize_batch_status

__all__ = [
    "CHAT_ENDPOINT",
    "EMBEDDINGS_ENDPOINT",
    "BatchJobState",
    "BatchPartState",
    "BatchStateError",
    "Endpoint",
    "describe_batch_errors",
    "line_errors",
]

Endpoint = Literal["/v1/chat/completions", "/v1/embeddings"]
CHAT_ENDPOINT: Endpoint = "/v1/chat/completions"
EMBEDDINGS_ENDPOINT: Endpoint = "/v1/embeddings"
STATE_VERSION = 1

_GENERATED_ID = re.compile(r"(\d+)\Z")


class BatchStateError(NebiusError, ValueError):
    """A state file cannot be read, or does not match the requests given to resume it."""


class BatchPartState(BaseModel):
    """One part of a job: one input file, one batch, one model.

    ``index_runs`` lists the input indices of the part's lines, in file order, as
    ``[start, stop)`` runs (a part of consecutive inputs is a single run).
    """

    model: str
    index_runs: list[tuple[int, int]]
    request_count: int
    byte_count: int
    input_file_id: str | None = None
    uploading: bool = False
    creating: bool = False
    batch_id: str | None = None
    status: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: int = 0
    failed: int = 0
    errors: str | None = None
    line_errors: dict[int, str] = Field(default_factory=dict)
    cancelled_before_submit: bool = False
    submit_error: str | None = None

    def indices(self) -> Iterable[int]:
        """The input indices of this part, in the order of its input file."""
        for start, stop in self.index_runs:
            yield from range(start, stop)

    @property
    def submitted(self) -> bool:
        return self.batch_id is not None

    @property
    def state(self) -> str:
        """``planned``, ``uploaded``, or the batch's normalised state (``running``, ...)."""
        if self.cancelled_before_submit:
            return "cancelled"
        if self.submit_error is not None:
            return "failed"
        if self.batch_id is None:
            return "uploaded" if self.input_file_id else "planned"
        return normalize_batch_status(self.status)

    @property
    def is_terminal(self) -> bool:
        if self.cancelled_before_submit or self.submit_error is not None:
            return True
        return self.batch_id is not None and normalize_batch_status(self.status) in TERMINAL_STATES

    def update_from(self, batch: Batch) -> None:
        """Record what the API says about this part's batch."""
        self.batch_id = batch.id
        self.creating = False
        self.status = batch.status
        self.output_file_id = batch.output_file_id or self.output_file_id
        self.error_file_id = batch.error_file_id or self.error_file_id
        if batch.request_counts is not None:
            self.completed = batch.request_counts.completed
            self.failed = batch.request_counts.failed
        described = describe_batch_errors(batch.errors)
        if described:
            self.errors = described
            self.line_errors = line_errors(batch.errors)


class BatchJobState(BaseModel):
    """Everything needed to resume a job; saved as JSON with :meth:`save`."""

    version: int = STATE_VERSION
    job_id: str
    endpoint: Endpoint
    total: int
    custom_id_prefix: str | None = None
    custom_ids: list[str] | None = None
    max_requests_per_file: int
    max_bytes_per_file: int
    metadata: dict[str, str] | None = None
    fingerprint: str | None = None
    invalid: dict[int, str] = Field(default_factory=dict)
    parts: list[BatchPartState] = Field(default_factory=list)

    def custom_id(self, index: int) -> str:
        if self.custom_ids is not None:
            return self.custom_ids[index]
        return f"{self.custom_id_prefix}{index}"

    def index_lookup(self) -> Mapping[str, int] | None:
        """A custom_id -> index mapping for caller-given ids (``None`` for generated ids)."""
        if self.custom_ids is None:
            return None
        return {cid: i for i, cid in enumerate(self.custom_ids)}

    def index_of(self, custom_id: str, lookup: Mapping[str, int] | None) -> int | None:
        """The input index a ``custom_id`` stands for, or ``None`` if it is not this job's."""
        if lookup is not None:
            return lookup.get(custom_id)
        prefix = self.custom_id_prefix or ""
        if not custom_id.startswith(prefix):
            return None
        match = _GENERATED_ID.match(custom_id, len(prefix))
        if match is None:
            return None
        digits = match.group(1)
        if len(digits) > 1 and digits.startswith("0"):
            return None
        index = int(digits)
        return index if index < self.total else None

    @property
    def done(self) -> bool:
        return all(part.is_terminal for part in self.parts)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state atomically and durably: a temporary file, flushed to disk, renamed
        over the old one (a crash, even of the machine, leaves the old state or the new)."""
        target = Path(path)
        temporary = target.with_name(target.name + ".tmp")
        with open(temporary, "wb") as file:
            file.write(self.model_dump_json(indent=1).encode())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
        if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
            folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> BatchJobState:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise BatchStateError(f"Cannot read the batch state file: {exc.strerror}.") from None
        except UnicodeDecodeError:
            raise BatchStateError(
                f"The batch state file {Path(path).name} is not UTF-8 text, so not a saved job: "
                "pass the file that BatchJob(state_path=...) wrote."
            ) from None
        try:
            state = cls.model_validate_json(text)
        except ValidationError as exc:
            raise BatchStateError(
                f"The batch state file is not a saved job ({exc.error_count()} problems): "
                "pass the file that BatchJob(state_path=...) wrote."
            ) from None
        if state.version != STATE_VERSION:
            raise BatchStateError(
                f"The batch state file has version {state.version}; this library reads "
                f"version {STATE_VERSION}."
            )
        return state


def describe_batch_errors(errors: Any) -> str | None:
    """A batch's ``errors`` (OpenAI's ``{"data": [{code, message, line}]}`` or anything) as text."""
    if errors in (None, "", [], {}):
        return None
    items = errors.get("data", errors) if isinstance(errors, Mapping) else errors
    if isinstance(items, list):
        texts = []
        for item in items[:5]:
            if isinstance(item, Mapping):
                message = item.get("message") or item.get("code") or str(dict(item))
                line = item.get("line")
                texts.append(f"{message} (line {line})" if line is not None else str(message))
            else:
                texts.append(str(item))
        more = f"; and {len(items) - 5} more" if len(items) > 5 else ""
        return "; ".join(texts) + more if texts else None
    if isinstance(items, Mapping):
        return str(items.get("message") or items.get("detail") or dict(items))
    return str(items)


def line_errors(errors: Any) -> dict[int, str]:
    """Per-line messages of a failed batch's ``errors`` (1-based input line -> message)."""
    items = errors.get("data") if isinstance(errors, Mapping) else errors
    found: dict[int, str] = {}
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get("line"), int):
                found.setdefault(item["line"], str(item.get("message") or item.get("code")))
    return found
