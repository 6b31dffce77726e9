"""What the sync and async batch jobs share: the options, the plan or the saved job, the state
file and every decision (:class:`JobBase`); no network I/O. :mod:`._jobs` holds the twins
that send.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypedDict, TypeVar

from typing_extensions import Self

from .._client import AsyncNebiusClient, NebiusClient
from .._errors import (
    APIConnectionError,
    APIStatusError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RequestTooLargeError,
    UnprocessableEntityError,
)
from .._logs import logger
from ..types import Batch, FileObject
from ._plan import (
    DEFAULT_MAX_BYTES_PER_FILE,
    DEFAULT_MAX_REQUESTS_PER_FILE,
    PlannedPart,
    RequestInput,
    plan_job,
    replan_for,
)
from ._results import (
    BatchNotFinishedError,
    BatchProgress,
    BatchResults,
    job_progress,
)
from ._state import BatchJobState, BatchPartState, BatchStateError, Endpoint
from ._store import ResultCollector, ResultStore, parse_body

__all__ = ["BatchOptions", "JobBase", "ProgressCallback", "StatePath"]

C = TypeVar("C", NebiusClient, AsyncNebiusClient)
ProgressCallback = Callable[[BatchProgress], None]
StatePath = str | os.PathLike[str]

# A 4xx that will not change on retry: that part is marked failed, the other parts go on.
PERMANENT_ERRORS = (BadRequestError, NotFoundError, RequestTooLargeError, UnprocessableEntityError)
# Failures after which a create may or may not have happened on the server.
TRANSIENT_ERRORS = (APIConnectionError, InternalServerError, RateLimitError, ConflictError)
FIND_PAGES = 20
POLL_GROWTH = 1.5
ASYNC_CONCURRENCY = 8


class BatchOptions(TypedDict, total=False):
    """Options of a job, shared by :class:`BatchJob`, :func:`run_batch` and the async twins."""

    endpoint: Endpoint | None
    custom_ids: Sequence[str] | None
    max_requests_per_file: int
    max_bytes_per_file: int
    metadata: Mapping[str, str] | None
    state_path: StatePath | None
    poll_interval: float
    max_poll_interval: float
    refuse_invalid: bool


class JobBase(Generic[C]):
    """What :class:`BatchJob` and :class:`AsyncBatchJob` share: the plan, the state file and
    every decision; the twins send."""

    _client: C
    _sleep: Callable[[float], Any]
    _temp: TempFolder

    @staticmethod
    def _default_sleep(seconds: float) -> Any:
        """How a twin waits between polls unless told otherwise."""
        raise NotImplementedError

    def __init__(
        self,
        client: C,
        requests: Iterable[RequestInput],
        *,
        sleep: Callable[[float], Any] | None = None,
        endpoint: Endpoint | None = None,
        custom_ids: Sequence[str] | None = None,
        max_requests_per_file: int = DEFAULT_MAX_REQUESTS_PER_FILE,
        max_bytes_per_file: int = DEFAULT_MAX_BYTES_PER_FILE,
        metadata: Mapping[str, str] | None = None,
        state_path: StatePath | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        refuse_invalid: bool = False,
    ) -> None:
        spool = self._temp_folder()
        if state_path is not None and Path(state_path).exists():
            # The same call run again (after a crash, say): the saved job, never a second one.
            state = BatchJobState.load(state_path)
            planned = replan_for(state, requests, endpoint=endpoint, path=state_path, spool=spool)
            logger.info("batch job %s: resumed from %s", state.job_id, Path(state_path).name)
        else:
            state, planned = plan_job(
                requests,
                endpoint=endpoint,
                custom_ids=custom_ids,
                max_requests_per_file=max_requests_per_file,
                max_bytes_per_file=max_bytes_per_file,
                metadata=metadata,
                refuse_invalid=refuse_invalid,
                spool=spool,
            )
        self._setup(client, state, list(planned), state_path, poll_interval, max_poll_interval)
        self._sleep = sleep or type(self)._default_sleep
        self._checkpoint()

    def _setup(
        self,
        client: C,
        state: BatchJobState,
        planned: list[PlannedPart | None],
        state_path: StatePath | None,
        poll_interval: float,
        max_poll_interval: float,
    ) -> None:
        if poll_interval <= 0 or max_poll_interval < poll_interval:
            raise InvalidRequestError(
                "poll_interval must be positive and max_poll_interval at least poll_interval."
            )
        self._client = client
        self._state = state
        self._planned = planned
        self._state_path = Path(state_path) if state_path is not None else None
        self._poll_interval = poll_interval
        self._max_poll_interval = max_poll_interval
        self._results: BatchResults | None = None

    @classmethod
    def resume(
        cls,
        client: C,
        state_path: StatePath,
        *,
        requests: Iterable[RequestInput] | None = None,
        endpoint: Endpoint | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        sleep: Callable[[float], Any] | None = None,
    ) -> Self:
        """Pick a saved job up: nothing already uploaded or created is sent again.

        ``requests`` is needed only if the job died before every file was uploaded (when given
        they are checked, as a new job with this ``state_path`` checks them). With
        ``endpoint``, a saved job for another endpoint is a :class:`BatchStateError`.
        """
        state = BatchJobState.load(state_path)
        if endpoint is not None and state.endpoint != endpoint:
            raise BatchStateError(
                f"The state file {Path(state_path).name} holds a {state.endpoint} job, not a "
                f"{endpoint} one: resume it with the call that made it."
            )
        planned: list[PlannedPart | None] = [None] * len(state.parts)
        job = cls.__new__(cls)
        if requests is not None:
            planned = list(replan_for(state, requests, path=state_path, spool=job._temp_folder()))
        job._setup(client, state, planned, state_path, poll_interval, max_poll_interval)
        job._sleep = sleep or cls._default_sleep
        return job

    def _temp_folder(self) -> Path:
        """The job's private folder (input files between planning and upload, downloads and
        results of a job without a state file), removed once neither the job nor its results
        use it, or at exit."""
        folder: TempFolder | None = self.__dict__.get("_temp")
        if folder is None:
            folder = self._temp = TempFolder()
        return folder.path

    # -- what a user reads ---------------------------------------------------------------------

    @property
    def job_id(self) -> str:
        return self._state.job_id

    @property
    def state(self) -> BatchJobState:
        """The job's state (what the state file holds)."""
        return self._state

    @property
    def state_path(self) -> Path | None:
        return self._state_path

    @property
    def batch_ids(self) -> list[str]:
        return [part.batch_id for part in self._state.parts if part.batch_id is not None]

    @property
    def progress(self) -> BatchProgress:
        """Progress as of the last poll (no request is sent)."""
        return job_progress(self._state)

    @property
    def done(self) -> bool:
        """True when every batch of the job is in a terminal state (as of the last poll)."""
        return self._state.done

    def __repr__(self) -> str:
        p = self.progress
        return (
            f"{type(self).__name__}(job_id={self.job_id!r}, requests={p.total}, "
            f"batches={p.parts}, done={p.parts_done}/{p.parts})"
        )

    def save(self, path: StatePath | None = None) -> Path:
        """Write the state file (to ``path``, or to the job's ``state_path``) and return where."""
        target = Path(path) if path is not None else self._state_path
        if target is None:
            raise InvalidRequestError("Pass a path: this job was created without state_path.")
        self._state.save(target)
        return target

    # -- decisions shared by the twins ---------------------------------------------------------

    def _checkpoint(self) -> None:
        if self._state_path is not None:
            self._state.save(self._state_path)

    def _to_submit(self) -> list[tuple[int, BatchPartState]]:
        return [
            (i, part)
            for i, part in enumerate(self._state.parts)
            if not part.submitted and not part.is_terminal
        ]

    def _upload_args(self, i: int) -> tuple[Path | bytes, str]:
        """Part ``i``'s file (its path when spooled to disk) and name, recorded as being
        uploaded."""
        planned = self._planned[i]
        if planned is None:
            raise BatchStateError(
                f"Batch {i + 1} of job {self.job_id} was never uploaded and the job was resumed "
                "without its requests: pass the same requests to resume(..., requests=...)."
            )
        self._state.parts[i].uploading = True
        self._checkpoint()
        return planned.source(), self._filename(i)

    def _uploaded(self, i: int, file_id: str) -> None:
        self._state.parts[i].input_file_id = file_id
        self._state.parts[i].uploading = False
        planned = self._planned[i]
        if planned is not None:
            planned.discard()
        self._planned[i] = None
        self._checkpoint()

    def _is_upload(self, i: int) -> Callable[[FileObject], bool]:
        """Whether a file is part ``i``'s input, uploaded by a run that died before it could
        record the file id."""
        part = self._state.parts[i]
        return lambda file: file.filename == self._filename(i) and file.bytes == part.byte_count

    def _creating(self, i: int) -> None:
        self._state.parts[i].creating = True
        self._checkpoint()

    def _create_params(self, i: int) -> dict[str, Any]:
        metadata = {
            **(self._state.metadata or {}),
            "job_id": self.job_id,
            "part": f"{i + 1}/{len(self._state.parts)}",
        }
        return {"endpoint": self._state.endpoint, "metadata": metadata, "max_retries": 0}

    def _filename(self, i: int) -> str:
        return f"{self.job_id}-part{i + 1}.jsonl"

    def _created(self, i: int, batch: Batch) -> None:
        part = self._state.parts[i]
        part.update_from(batch)
        self._checkpoint()
        logger.info(
            "batch job %s: part %d/%d (%d requests, %s) is batch %s",
            self.job_id,
            i + 1,
            len(self._state.parts),
            part.request_count,
            part.model,
            batch.id,
        )

    def _rejected(self, i: int, exc: APIStatusError) -> None:
        part = self._state.parts[i]
        part.creating = False
        part.submit_error = exc.message
        self._checkpoint()

    def _to_poll(self) -> list[BatchPartState]:
        return [p for p in self._state.parts if p.batch_id is not None and not p.is_terminal]

    def _mark_cancelled(self, i: int, found: Batch | None) -> None:
        """An unsubmitted part at cancel time: adopt the batch a crashed create made, if any."""
        if found is not None:
            self._created(i, found)
            return
        part = self._state.parts[i]
        part.cancelled_before_submit = True
        part.creating = False

    def _downloads(self) -> list[tuple[BatchPartState, str, str, Path]]:
        """The output and error files of a finished job: (part, kind, file id, where its
        download goes). Downloads sit next to the state file, so a resumed job reads them again
        instead of downloading them twice; without a state file, in the job's own folder."""
        folder = self._temp_folder()
        if self._state_path is not None:
            folder = self._state_path.with_name(self._state_path.name + ".files")
            folder.mkdir(exist_ok=True)
        return [
            (part, kind, file_id, folder / f"{file_id}.jsonl")
            for part in self._state.parts
            for kind, file_id in (("output", part.output_file_id), ("error", part.error_file_id))
            if file_id
        ]

    @staticmethod
    def _to_fetch(downloads: list[tuple[BatchPartState, str, str, Path]]) -> list[tuple[str, Path]]:
        """The files not downloaded yet, and where their download goes until it is complete
        (a cut download never passes for a whole one)."""
        return [
            (file_id, path.with_suffix(".part"))
            for _, _, file_id, path in downloads
            if not path.exists()
        ]

    @staticmethod
    def _fetched(partial: Path) -> None:
        partial.replace(partial.with_suffix(".jsonl"))

    def _collect(self, downloads: list[tuple[BatchPartState, str, str, Path]]) -> BatchResults:
        """Read the downloaded files line by line and map every line to its input."""
        folder = downloads[0][3].parent if downloads else self._temp_folder()
        parse = functools.partial(parse_body, self._state.endpoint)
        store = ResultStore.create(folder / "results.sqlite", parse, self.__dict__.get("_temp"))
        collector = ResultCollector(self._state, store)
        for part, kind, _, path in downloads:
            collector.add_path(path, part=part, kind=kind)
        results = collector.finish()
        if results.unmatched_lines:
            count = results.unmatched_lines
            logger.warning("batch job %s: %d output lines matched no request", self.job_id, count)
        self._results = results
        return results

    def _not_finished(self, why: str) -> BatchNotFinishedError:
        where = f"; its state is saved in {self._state_path.name}" if self._state_path else ""
        return BatchNotFinishedError(
            f"Batch job {self.job_id} {why}: {self.progress.parts_done} of "
            f"{self.progress.parts} batches are done{where}. Call wait() again, or resume later."
        )

    def _wait_delays(self, timeout: float | None) -> Callable[[], float]:
        """The next wait between polls, growing 1.5x up to the maximum, and never past the
        deadline; raises :class:`BatchNotFinishedError` once it has passed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay: float | None = None

        def next_delay() -> float:
            nonlocal delay
            grown = self._poll_interval if delay is None else delay * POLL_GROWTH
            delay = min(grown, self._max_poll_interval)
            if deadline is None:
                return delay
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._not_finished(f"did not finish within {timeout} s")
            return min(delay, left)

        return next_delay


class TempFolder:
    """A temporary folder, removed when this object is (or at exit)."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="nebius-batch-"))
        weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)


def found_in(page: Any, match: Callable[[Any], bool]) -> tuple[Any, str | None]:
    """The first item of a list page that matches, or the id to ask the next page after."""
    for item in page.data:
        if match(item):
            return item, None
    if not page.has_more or not page.data:
        return None, None
    return None, getattr(page, "last_id", None) or page.data[-1].id
