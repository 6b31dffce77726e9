"""Batch jobs without I/O: validate requests and split them into files.

A job is a list of request bodies for one endpoint. It is split into *parts*, one batch each:
one model per part (the API requires it), at most ``max_requests_per_file`` lines and
``max_bytes_per_file`` bytes per input file. The state saved for each part is in
:mod:`._state`.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .._base import build_body
from .._checks import check_body_is_json
from .._errors import InvalidRequestError
from ..types import ChatCompletionRequest, EmbeddingRequest
from ._state import (
    CHAT_ENDPOINT,
    EMBEDDINGS_ENDPOINT,
    BatchJobState,
    BatchPartState,
    BatchStateError,
    Endpoint,
)

__all__ = [
    "DEFAULT_MAX_BYTES_PER_FILE",
    "DEFAULT_MAX_REQUESTS_PER_FILE",
    "PlannedPart",
    "RequestInput",
    "plan_job",
    "replan_for",
]

RequestInput = ChatCompletionRequest | EmbeddingRequest | Mapping[str, Any]

DEFAULT_MAX_REQUESTS_PER_FILE = 5_000_000
DEFAULT_MAX_BYTES_PER_FILE = 10_000_000_000


@dataclass
class PlannedPart:
    """A part before upload: its model, the input indices, and its JSONL lines, in memory or,
    when planned with a spool folder, in a file there (``path``)."""

    model: str
    indices: array[int] = field(default_factory=lambda: array("q"))
    lines: list[bytes] = field(default_factory=list)
    size: int = 0
    path: Path | None = None
    _file: BinaryIO | None = field(default=None, repr=False)

    def add(self, index: int, line: bytes) -> None:
        self.indices.append(index)
        self.size += len(line)
        if self.path is None:
            self.lines.append(line)
            return
        if self._file is None:
            self._file = open(self.path, "wb")  # noqa: SIM115 (closed by close())
        self._file.write(line)

    def close(self) -> None:
        """Flush the part's file to disk (a part planned in memory has none)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def runs(self) -> list[tuple[int, int]]:
        runs: list[tuple[int, int]] = []
        for index in self.indices:
            if runs and runs[-1][1] == index:
                runs[-1] = (runs[-1][0], index + 1)
            else:
                runs.append((index, index + 1))
        return runs

    def content(self) -> bytes:
        """The JSONL file's bytes (what is uploaded)."""
        return self.path.read_bytes() if self.path is not None else b"".join(self.lines)

    def source(self) -> Path | bytes:
        """What to upload: the spooled file's path (sent from disk in chunks), or the bytes of
        a part planned in memory."""
        return self.path if self.path is not None else b"".join(self.lines)

    def discard(self) -> None:
        """Forget the lines once uploaded (and delete the spooled file)."""
        self.close()
        self.lines = []
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def endpoint_of(request: object) -> Endpoint | None:
    """The endpoint a request is for: embeddings if it carries ``input``, else chat; ``None``
    for what is not a request."""
    if isinstance(request, EmbeddingRequest):
        return EMBEDDINGS_ENDPOINT
    if isinstance(request, ChatCompletionRequest):
        return CHAT_ENDPOINT
    if isinstance(request, Mapping):
        has_input = "input" in request and "messages" not in request
        return EMBEDDINGS_ENDPOINT if has_input else CHAT_ENDPOINT
    return None


def request_body(request: RequestInput, endpoint: Endpoint, index: int) -> dict[str, Any]:
    """Validate one request and return its JSON body (as the live endpoint would take it)."""
    model_cls: type[ChatCompletionRequest] | type[EmbeddingRequest] = (
        ChatCompletionRequest if endpoint == CHAT_ENDPOINT else EmbeddingRequest
    )
    if not isinstance(request, (ChatCompletionRequest, EmbeddingRequest, Mapping)):
        raise InvalidRequestError(
            f"requests[{index}] is {type(request).__name__}; pass dicts or "
            f"{model_cls.__name__} objects."
        )
    try:
        body = build_body(model_cls, request, {})
    except InvalidRequestError as exc:
        raise InvalidRequestError(f"requests[{index}]: {exc}") from None
    if "stream" in body:
        raise InvalidRequestError(f"requests[{index}] sets stream; batch requests cannot stream.")
    return body


def check_custom_ids(custom_ids: Sequence[str]) -> list[str]:
    ids = list(custom_ids)
    seen: set[str] = set()
    for i, cid in enumerate(ids):
        if not isinstance(cid, str) or not cid:
            raise InvalidRequestError(f"custom_ids[{i}] must be a non-empty string.")
        if cid in seen:
            raise InvalidRequestError(
                f"custom_ids[{i}] = {cid!r} is used twice; ids must be unique."
            )
        seen.add(cid)
    return ids


def plan_job(
    requests: Iterable[RequestInput],
    *,
    endpoint: Endpoint | None = None,
    custom_ids: Sequence[str] | None = None,
    max_requests_per_file: int = DEFAULT_MAX_REQUESTS_PER_FILE,
    max_bytes_per_file: int = DEFAULT_MAX_BYTES_PER_FILE,
    metadata: Mapping[str, str] | None = None,
    job_id: str | None = None,
    refuse_invalid: bool = False,
    spool: Path | None = None,
) -> tuple[BatchJobState, list[PlannedPart]]:
    """Validate the requests (any iterable, read once, one at a time) and split them into
    parts; nothing is sent. With ``spool`` (a folder), each part's lines are written to a file
    there instead of kept in memory.

    An invalid request (or one larger than ``max_bytes_per_file``) is left out of every part
    and recorded in ``state.invalid``: it ends as an error, never sent, never paid. With
    ``refuse_invalid`` the job is refused instead, with an :class:`InvalidRequestError` that
    names every invalid request. Bad limits or ids, and requests for both endpoints, raise.
    """
    if max_requests_per_file < 1:
        raise InvalidRequestError("max_requests_per_file must be at least 1.")
    if max_bytes_per_file < 1:
        raise InvalidRequestError("max_bytes_per_file must be at least 1.")
    if endpoint is not None and endpoint not in (CHAT_ENDPOINT, EMBEDDINGS_ENDPOINT):
        raise InvalidRequestError(
            f"endpoint must be {CHAT_ENDPOINT!r} or {EMBEDDINGS_ENDPOINT!r}, got {endpoint!r}."
        )
    ids = check_custom_ids(custom_ids) if custom_ids is not None else None
    job_id = job_id or f"job-{uuid.uuid4().hex[:12]}"
    state = BatchJobState(
        job_id=job_id,
        endpoint=endpoint or CHAT_ENDPOINT,
        total=0,
        custom_id_prefix=None if ids is not None else f"{job_id}-",
        custom_ids=ids,
        max_requests_per_file=max_requests_per_file,
        max_bytes_per_file=max_bytes_per_file,
        metadata=dict(metadata) if metadata else None,
    )
    # The fingerprint: what the requests ask (and the caller's ids), not the generated ids.
    fingerprint = hashlib.sha256()
    by_model: dict[str, list[PlannedPart]] = {}
    inferred: Endpoint | None = None  # from the first request, when not given
    for index, request in enumerate(requests):
        kind = endpoint_of(request)
        if endpoint is None and kind is not None and kind != inferred:
            if inferred is not None:
                raise InvalidRequestError(
                    "A batch job takes requests for one endpoint; these mix chat and "
                    "embeddings requests. Run one job per endpoint."
                )
            inferred = state.endpoint = kind
        state.total = index + 1
        if ids is not None and index >= len(ids):
            continue  # too few ids: counted, then refused below
        try:
            body = request_body(request, state.endpoint, index)
            line = _jsonl_line(state.custom_id(index), state.endpoint, body, index)
        except InvalidRequestError as exc:
            state.invalid[index] = str(exc)
            fingerprint.update(f"invalid {exc}\n".encode())
            continue
        fingerprint.update(_jsonl_line(ids[index] if ids else "", state.endpoint, body))
        if len(line) > max_bytes_per_file:
            state.invalid[index] = (
                f"requests[{index}] takes {len(line)} bytes, more than max_bytes_per_file "
                f"({max_bytes_per_file})."
            )
            continue
        model = str(body["model"])
        parts = by_model.setdefault(model, [])
        part = parts[-1] if parts else None
        if (
            part is None
            or len(part.indices) >= max_requests_per_file
            or part.size + len(line) > max_bytes_per_file
        ):
            if part is not None:
                part.close()
            number = sum(len(p) for p in by_model.values()) + 1
            path = spool / f"{job_id}-planned{number}.jsonl" if spool is not None else None
            part = PlannedPart(model=model, path=path)
            parts.append(part)
        part.add(index, line)
    ordered = [part for parts in by_model.values() for part in parts]
    for part in ordered:
        part.close()
    if state.total == 0:
        raise InvalidRequestError("A batch job needs at least one request.")
    if ids is not None and len(ids) != state.total:
        raise InvalidRequestError(f"custom_ids has {len(ids)} ids for {state.total} requests.")
    if refuse_invalid and state.invalid:
        for part in ordered:
            part.discard()
        reasons = "; ".join(state.invalid.values())
        raise InvalidRequestError(
            f"{len(state.invalid)} of {state.total} requests are invalid, so nothing was sent: "
            f"{reasons}. Fix them, or leave refuse_invalid off to run the others."
        )
    fingerprint.update(f"{state.endpoint}\n".encode())
    state.fingerprint = fingerprint.hexdigest()
    # Parts of one model stay together, models in order of first appearance.
    state.parts = [
        BatchPartState(
            model=part.model,
            index_runs=part.runs(),
            request_count=len(part.indices),
            byte_count=part.size,
        )
        for part in ordered
    ]
    return state, ordered


def replan_for(
    state: BatchJobState,
    requests: Iterable[RequestInput],
    *,
    endpoint: Endpoint | None = None,
    path: str | os.PathLike[str] | None = None,
    spool: Path | None = None,
) -> list[PlannedPart]:
    """Rebuild the parts of a saved job from its requests, checking they are the same job
    (the same fingerprint; ``endpoint``, when given, the job's). ``path`` names the state
    file in the error; ``spool`` is :func:`plan_job`'s."""
    replanned, parts = plan_job(
        requests,
        endpoint=endpoint,
        custom_ids=state.custom_ids,
        max_requests_per_file=state.max_requests_per_file,
        max_bytes_per_file=state.max_bytes_per_file,
        job_id=state.job_id,
        spool=spool,
    )
    asked = replanned.endpoint
    same = (
        state.fingerprint in (None, replanned.fingerprint)
        and replanned.invalid == state.invalid
        and [(p.model, p.runs(), p.size) for p in parts]
        == [(p.model, p.index_runs, p.byte_count) for p in state.parts]
    )
    where = f"The state file {Path(path).name}" if path is not None else "The saved job"
    if not same or asked != state.endpoint:
        for part in parts:
            part.discard()
    if asked != state.endpoint:
        raise BatchStateError(
            f"{where} holds batch job {state.job_id} for {state.endpoint}, and these requests "
            f"are for {asked}: resume it with the call that made it, or pass another state_path."
        )
    if not same:
        raise BatchStateError(
            f"{where} holds batch job {state.job_id} ({state.total} {state.endpoint} "
            "requests), and these requests are not that job's (different requests, order or "
            "endpoint). To resume it, pass the same requests, in the same order; to start a "
            "new job, pass another state_path or delete the file (cancel the saved job first "
            "with BatchJob.resume(client, path).cancel() if its batches should not run)."
        )
    return parts


def _jsonl_line(custom_id: str, endpoint: Endpoint, body: dict[str, Any], index: int = 0) -> bytes:
    """One input line; a ``NaN`` or infinity anywhere in ``body`` (the messages included) is an
    :class:`InvalidRequestError` naming where, as the live endpoint's JSON cannot carry it."""
    line = {"custom_id": custom_id, "method": "POST", "url": endpoint, "body": body}
    try:
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        try:
            check_body_is_json(body)
        except InvalidRequestError as exc:
            raise InvalidRequestError(f"requests[{index}]: {exc}") from None
        raise
    return text.encode() + b"\n"
