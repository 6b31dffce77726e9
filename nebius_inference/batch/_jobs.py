"""The sync and async batch jobs, side by side: they differ only in ``await``. Every decision
is :class:`~._base.JobBase`'s; these classes send.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from typing_extensions import Self

from .._client import AsyncNebiusClient, NebiusClient
from .._errors import APIStatusError
from .._progress import Watch
from .._retry import effective_delay
from ..types import Batch
from ._base import (
    ASYNC_CONCURRENCY,
    FIND_PAGES,
    PERMANENT_ERRORS,
    TRANSIENT_ERRORS,
    JobBase,
    ProgressCallback,
    found_in,
)
from ._results import BatchProgress, BatchResults
from ._state import BatchPartState

__all__ = ["AsyncBatchJob", "BatchJob", "BatchJobWrapper"]

# ============================================================================================
# Sync
# ============================================================================================


class BatchJob(JobBase[NebiusClient]):
    """A batch job over a :class:`NebiusClient`: ``submit()``, then ``wait()`` or ``results()``.

    Args:
        client: the client to send with.
        requests: chat-completion or embedding request bodies (dicts or the core's
            ``ChatCompletionRequest`` / ``EmbeddingRequest``), one endpoint per job, from any
            iterable (a generator over a corpus, say): read once, and written to disk, one
            file per batch, until uploaded.
        endpoint: ``"/v1/chat/completions"`` or ``"/v1/embeddings"``; inferred by default.
        custom_ids: your own unique ids, one per request (default: ``<job_id>-<index>``).
        max_requests_per_file: lines per input file (the API allows 5,000,000).
        max_bytes_per_file: bytes per input file (the API allows 10 GB).
        metadata: string metadata added to every batch (with ``job_id`` and ``part``).
        state_path: where to keep the JSON state file, rewritten at every step. If the file
            exists, this is the job saved there, resumed (the requests must be its own, checked
            by a fingerprint, else :class:`BatchStateError`): running the same code again after
            a crash never uploads or creates anything twice.
        poll_interval: the first wait between polls, in seconds; it grows 1.5x per poll...
        max_poll_interval: ...up to this.
        refuse_invalid: refuse the whole job, naming every invalid request, if any is invalid;
            by default an invalid request ends as its own error (never sent, never paid) and
            the others run.
        sleep: how to wait between polls (default ``time.sleep``, awaited ``asyncio.sleep``
            for :class:`AsyncBatchJob`; no wait in testing mode).

    Construction validates and plans the job (or loads the saved one); it sends nothing.
    """

    @staticmethod
    def _default_sleep(seconds: float) -> None:
        time.sleep(effective_delay(seconds))

    def submit(self) -> Self:
        """Upload the files and create the batches not yet created; safe to call again."""
        for i, part in self._to_submit():
            try:
                if part.input_file_id is None:
                    found = (
                        self._find(self._files_page, self._is_upload(i)) if part.uploading else None
                    )
                    if found is None:
                        content, name = self._upload_args(i)
                        found = self._client.upload_file(content, purpose="batch", filename=name)
                    self._uploaded(i, found.id)
                assert part.input_file_id is not None
                batch = self._find_batch(part.input_file_id) if part.creating else None
                if batch is None:
                    self._creating(i)
                    batch = self._create(i, part.input_file_id)
            except PERMANENT_ERRORS as exc:
                self._rejected(i, exc)
                continue
            self._created(i, batch)
        return self

    def _create(self, i: int, input_file_id: str) -> Batch:
        """Create a batch without paying twice: a create whose reply was lost may still have
        made the batch, so before trying again we look for it."""
        attempt = 0
        while True:
            try:
                return self._client.create_batch(input_file_id, **self._create_params(i))
            except TRANSIENT_ERRORS:
                found = self._find_batch(input_file_id)
                if found is not None:
                    return found
                if attempt >= self._client.max_retries:
                    raise
                self._sleep(self._client.retry_policy.delay(attempt))
                attempt += 1

    def _files_page(self, after: str | None) -> Any:
        return self._client.list_files(purpose="batch", limit=100, after=after)

    def _find_batch(self, input_file_id: str) -> Batch | None:
        """The batch a crashed ``create_batch`` may have made for this file, if any."""

        def page(after: str | None) -> Any:
            query = {"input_file_id": input_file_id}
            return self._client.list_batches(limit=100, after=after, extra_query=query)

        found: Batch | None = self._find(page, lambda b: b.input_file_id == input_file_id)
        return found

    def _find(self, page: Callable[[str | None], Any], match: Callable[[Any], bool]) -> Any:
        after: str | None = None
        for _ in range(FIND_PAGES):
            found, after = found_in(page(after), match)
            if found is not None or after is None:
                return found
        return None

    def poll(self) -> BatchProgress:
        """Ask the API once for every unfinished batch; return the job's progress."""
        for part in self._to_poll():
            assert part.batch_id is not None
            part.update_from(self._client.get_batch(part.batch_id))
        self._checkpoint()
        return self.progress

    def wait(
        self,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        progress_bar: bool = False,
    ) -> BatchResults:
        """Submit if needed, poll until every batch is done, and return :meth:`results`.

        Raises :class:`BatchNotFinishedError` after ``timeout`` seconds (the batches keep
        running). ``on_progress`` is called after every poll; ``progress_bar`` shows a tqdm bar
        if tqdm is installed, else a line on stderr.
        """
        self.submit()
        next_delay = self._wait_delays(timeout)
        with Watch(self._state.total, self.job_id, on_progress, progress_bar) as watch:
            while not watch(self.poll()).done:
                self._sleep(next_delay())
        return self.results()

    def results(self) -> BatchResults:
        """Download the output and error files (in chunks, to a folder next to the state file,
        so a resumed job reads them again instead of downloading them twice) and map every
        line, read one at a time, to its input.

        Raises :class:`BatchNotFinishedError` if a batch is still running.
        """
        if self._results is not None:
            return self._results
        if not self.done and not self.poll().done:
            raise self._not_finished("is still running")
        downloads = self._downloads()
        for file_id, partial in self._to_fetch(downloads):
            self._client.download_file_content(file_id, partial)
            self._fetched(partial)
        return self._collect(downloads)

    def cancel(self) -> BatchProgress:
        """Cancel every submitted batch that is not finished and submit nothing more.

        ``wait()`` then returns the lines that ran; the others say they were cancelled.
        """
        for i, part in self._to_submit():
            creating = part.creating and part.input_file_id is not None
            self._mark_cancelled(
                i, self._find_batch(part.input_file_id or "") if creating else None
            )
        for part in self._to_poll():
            assert part.batch_id is not None
            try:
                batch = self._client.cancel_batch(part.batch_id)
            except APIStatusError:
                batch = self._client.get_batch(part.batch_id)
                if not batch.is_terminal:  # not a batch that finished meanwhile: a real error
                    raise
            part.update_from(batch)
        self._checkpoint()
        return self.progress


# ============================================================================================
# Async
# ============================================================================================


class AsyncBatchJob(JobBase[AsyncNebiusClient]):
    """The async twin of :class:`BatchJob`, over an :class:`AsyncNebiusClient`: ``sleep`` is
    awaited between polls, and polls and downloads of the job's batches run concurrently."""

    @staticmethod
    async def _default_sleep(seconds: float) -> None:
        await asyncio.sleep(effective_delay(seconds))

    async def submit(self) -> Self:
        """Upload the files and create the batches not yet created; safe to call again."""
        for i, part in self._to_submit():
            try:
                if part.input_file_id is None:
                    found = (
                        await self._find(self._files_page, self._is_upload(i))
                        if part.uploading
                        else None
                    )
                    if found is None:
                        content, name = self._upload_args(i)
                        found = await self._client.upload_file(
                            content, purpose="batch", filename=name
                        )
                    self._uploaded(i, found.id)
                assert part.input_file_id is not None
                batch = await self._find_batch(part.input_file_id) if part.creating else None
                if batch is None:
                    self._creating(i)
                    batch = await self._create(i, part.input_file_id)
            except PERMANENT_ERRORS as exc:
                self._rejected(i, exc)
                continue
            self._created(i, batch)
        return self

    async def _create(self, i: int, input_file_id: str) -> Batch:
        attempt = 0
        while True:
            try:
                return await self._client.create_batch(input_file_id, **self._create_params(i))
            except TRANSIENT_ERRORS:
                found = await self._find_batch(input_file_id)
                if found is not None:
                    return found
                if attempt >= self._client.max_retries:
                    raise
                await self._sleep(self._client.retry_policy.delay(attempt))
                attempt += 1

    async def _files_page(self, after: str | None) -> Any:
        return await self._client.list_files(purpose="batch", limit=100, after=after)

    async def _find_batch(self, input_file_id: str) -> Batch | None:
        async def page(after: str | None) -> Any:
            query = {"input_file_id": input_file_id}
            return await self._client.list_batches(limit=100, after=after, extra_query=query)

        found: Batch | None = await self._find(page, lambda b: b.input_file_id == input_file_id)
        return found

    async def _find(
        self, page: Callable[[str | None], Awaitable[Any]], match: Callable[[Any], bool]
    ) -> Any:
        after: str | None = None
        for _ in range(FIND_PAGES):
            found, after = found_in(await page(after), match)
            if found is not None or after is None:
                return found
        return None

    async def _each(
        self, parts: list[BatchPartState], call: Callable[[str], Awaitable[Batch]]
    ) -> None:
        gate = asyncio.Semaphore(ASYNC_CONCURRENCY)

        async def one(part: BatchPartState) -> None:
            assert part.batch_id is not None
            async with gate:
                part.update_from(await call(part.batch_id))

        await asyncio.gather(*(one(part) for part in parts))
        self._checkpoint()

    async def poll(self) -> BatchProgress:
        """Ask the API once for every unfinished batch; return the job's progress."""
        await self._each(self._to_poll(), self._client.get_batch)
        return self.progress

    async def wait(
        self,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        progress_bar: bool = False,
    ) -> BatchResults:
        """Submit if needed, poll until every batch is done, return :meth:`results`; see
        :meth:`BatchJob.wait`."""
        await self.submit()
        next_delay = self._wait_delays(timeout)
        with Watch(self._state.total, self.job_id, on_progress, progress_bar) as watch:
            while not watch(await self.poll()).done:
                await self._sleep(next_delay())
        return await self.results()

    async def results(self) -> BatchResults:
        """Download the output and error files and map every line; see :meth:`BatchJob.results`."""
        if self._results is not None:
            return self._results
        if not self.done and not (await self.poll()).done:
            raise self._not_finished("is still running")
        downloads = self._downloads()
        gate = asyncio.Semaphore(ASYNC_CONCURRENCY)

        async def download(file_id: str, partial: Path) -> None:
            async with gate:
                await self._client.download_file_content(file_id, partial)
            self._fetched(partial)

        await asyncio.gather(*(download(*fetch) for fetch in self._to_fetch(downloads)))
        return self._collect(downloads)

    async def cancel(self) -> BatchProgress:
        """Cancel every unfinished batch; see :meth:`BatchJob.cancel`."""
        for i, part in self._to_submit():
            creating = part.creating and part.input_file_id is not None
            found = await self._find_batch(part.input_file_id or "") if creating else None
            self._mark_cancelled(i, found)

        async def cancel_one(batch_id: str) -> Batch:
            try:
                return await self._client.cancel_batch(batch_id)
            except APIStatusError:
                batch = await self._client.get_batch(batch_id)
                if not batch.is_terminal:  # not a batch that finished meanwhile: a real error
                    raise
                return batch

        await self._each(self._to_poll(), cancel_one)
        return self.progress


# ============================================================================================
# Wrapped
# ============================================================================================

J = TypeVar("J", BatchJob, AsyncBatchJob)


class BatchJobWrapper(Generic[J]):
    """A base for a class that runs a :class:`BatchJob` (or :class:`AsyncBatchJob`) and
    returns its results as other objects, as ``ChatBatchJob`` in ``langchain_nebius.batch``
    and ``llama_index_nebius.batch`` does: the job, its progress, and a repr that names the
    model. A subclass sets ``_job`` and defines ``_model_name()``.
    """

    _job: J

    @property
    def job(self) -> J:
        """The ``nebius_inference.batch`` job doing the work: ``job_id``, ``state_path``,
        ``batch_ids``, ``state``..."""
        return self._job

    @property
    def progress(self) -> BatchProgress:
        """Progress as of the last poll (no request is sent)."""
        return self._job.progress

    def _model_name(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._model_name()!r}, {self._job!r})"
