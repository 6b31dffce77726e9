"""The part of a batch job the sync and async twins share: the plan, the state file, progress.

No network I/O here; :mod:`nebius_inference._batch_jobs` holds the twins that send.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypedDict, TypeVar

from typing_extensions import Self

from ._batch_plan import (
    DEFAULT_MAX_BYTES_PER_FILE,
    DEFAULT_MAX_REQUESTS_PER_FILE,
    BatchJobState,
    BatchPartState,
    BatchStateError,
    Endpoint,
    PlannedPart,
    RequestInput,
    plan_job,
    replan_for,
)
from ._batch_results import (
    BatchNotFinishedError,
    BatchProgress,
    BatchResults,
    ResultCollector,
    job_progress,
)
from ._client import AsyncNebiusClient, NebiusClient
from ._errors import (
    APIStatusError,
    BadRequestError,
    InvalidRequestError,
    NotFoundError,
    RequestTooLargeError,
    UnprocessableEntityError,
)
from ._logs import logger
from ._retry import effective_delay
from .types import Batch

__all__ = ["BatchOptions", "JobBase", "ProgressCallback", "Watch"]

C = TypeVar("C", NebiusClient, AsyncNebiusClient)
ProgressCallback = Callable[[BatchProgress], None]

# A 4xx that will not change on retry: that part is marked failed, the other parts go on.
PERMANENT_ERRORS = (BadRequestError, NotFoundError, RequestTooLargeError, UnprocessableEntityError)
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
    state_path: str | os.PathLike[str] | None
    poll_interval: float
    max_poll_interval: float


class JobBase(Generic[C]):
    """What both job classes share: the plan, the state file, progress. No I/O but files."""

    _client: C

    def __init__(
        self,
        client: C,
        requests: Iterable[RequestInput],
        *,
        endpoint: Endpoint | None = None,
        custom_ids: Sequence[str] | None = None,
        max_requests_per_file: int = DEFAULT_MAX_REQUESTS_PER_FILE,
        max_bytes_per_file: int = DEFAULT_MAX_BYTES_PER_FILE,
        metadata: Mapping[str, str] | None = None,
        state_path: str | os.PathLike[str] | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
    ) -> None:
        state, planned = plan_job(
            requests,
            endpoint=endpoint,
            custom_ids=custom_ids,
            max_requests_per_file=max_requests_per_file,
            max_bytes_per_file=max_bytes_per_file,
            metadata=metadata,
        )
        self._setup(client, state, list(planned), state_path, poll_interval, max_poll_interval)
        self._checkpoint()

    def _setup(
        self,
        client: C,
        state: BatchJobState,
        planned: list[PlannedPart | None],
        state_path: str | os.PathLike[str] | None,
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
    def _load(
        cls,
        client: C,
        state_path: str | os.PathLike[str],
        requests: Iterable[RequestInput] | None,
        poll_interval: float,
        max_poll_interval: float,
    ) -> Self:
        state = BatchJobState.load(state_path)
        planned: list[PlannedPart | None] = (
            list(replan_for(state, requests)) if requests is not None else [None] * len(state.parts)
        )
        job = cls.__new__(cls)
        job._setup(client, state, planned, state_path, poll_interval, max_poll_interval)
        return job

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

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
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

    def _content(self, i: int) -> bytes:
        planned = self._planned[i]
        if planned is None:
            raise BatchStateError(
                f"Batch {i + 1} of job {self.job_id} was never uploaded and the job was resumed "
                "without its requests: pass the same requests to resume(..., requests=...)."
            )
        return planned.content()

    def _uploaded(self, i: int, file_id: str) -> None:
        self._state.parts[i].input_file_id = file_id
        self._planned[i] = None
        self._checkpoint()

    def _create_params(self, i: int) -> dict[str, Any]:
        metadata = {
            **(self._state.metadata or {}),
            "job_id": self.job_id,
            "part": f"{i + 1}/{len(self._state.parts)}",
        }
        return {"endpoint": self._state.endpoint, "metadata": metadata}

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

    def _not_finished(self, why: str) -> BatchNotFinishedError:
        where = f"; its state is saved in {self._state_path.name}" if self._state_path else ""
        return BatchNotFinishedError(
            f"Batch job {self.job_id} {why}: {self.progress.parts_done} of "
            f"{self.progress.parts} batches are done{where}. Call wait() again, or resume later."
        )

    def _finish(self, collector: ResultCollector) -> BatchResults:
        results = collector.finish()
        if results.unmatched_lines:
            count = results.unmatched_lines
            logger.warning("batch job %s: %d output lines matched no request", self.job_id, count)
        self._results = results
        return results


def is_match(batch: Batch, input_file_id: str) -> bool:
    return batch.input_file_id == input_file_id


def next_delay(delay: float, maximum: float) -> float:
    return min(delay * POLL_GROWTH, maximum)


def default_sleep(seconds: float) -> None:
    time.sleep(effective_delay(seconds))


async def default_asleep(seconds: float) -> None:
    await asyncio.sleep(effective_delay(seconds))


class Watch:
    """The progress callback and the optional progress bar of one ``wait()``."""

    def __init__(
        self,
        total: int,
        job_id: str,
        on_progress: ProgressCallback | None,
        bar: bool,
        *,
        unit: str = "requests",
    ) -> None:
        self._callback = on_progress
        self._reporter = ProgressReporter(total, description=job_id, unit=unit) if bar else None

    def __call__(self, progress: BatchProgress) -> None:
        if self._reporter is not None:
            self._reporter.update(progress)
        if self._callback is not None:
            self._callback(progress)

    def close(self) -> None:
        if self._reporter is not None:
            self._reporter.close()


class ProgressReporter:
    """Shows progress: a ``tqdm`` bar if tqdm is installed, else one line on stderr."""

    def __init__(self, total: int, *, description: str, unit: str = "requests") -> None:
        self._bar: Any = None
        self._last = ""
        self._description = description
        self._unit = unit
        try:  # tqdm is optional: not a dependency of this library
            tqdm_auto = importlib.import_module("tqdm.auto")
        except ImportError:
            return
        self._bar = tqdm_auto.tqdm(
            total=total, desc=description, unit="req" if unit == "requests" else unit
        )

    def update(self, progress: BatchProgress) -> None:
        if self._bar is not None:
            self._bar.n = progress.finished_requests
            self._bar.set_postfix(failed=progress.failed, batches_done=progress.parts_done)
            self._bar.refresh()
            return
        line = (
            f"{self._description}: {progress.finished_requests}/{progress.total} {self._unit} "
            f"({progress.failed} failed), {progress.parts_done}/{progress.parts} batches done"
        )
        if line != self._last:
            print(line, file=sys.stderr, flush=True)
            self._last = line

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
