"""The sync and async batch jobs, side by side: they differ only in ``await``.

Every decision is in :class:`~nebius_inference._batch_base.JobBase`; these classes send.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable

from typing_extensions import Self, Unpack

from ._batch_base import (
    ASYNC_CONCURRENCY,
    FIND_PAGES,
    PERMANENT_ERRORS,
    BatchOptions,
    JobBase,
    ProgressCallback,
    Watch,
    default_asleep,
    default_sleep,
    is_match,
    next_delay,
)
from ._batch_plan import BatchPartState, RequestInput
from ._batch_results import BatchProgress, BatchResults, ResultCollector
from ._client import AsyncNebiusClient, NebiusClient
from ._errors import (
    APIConnectionError,
    APIStatusError,
    ConflictError,
    InternalServerError,
    RateLimitError,
)
from .types import Batch, FileObject

# Failures after which a create may or may not have happened on the server.
TRANSIENT_ERRORS = (APIConnectionError, InternalServerError, RateLimitError, ConflictError)

__all__ = ["AsyncBatchJob", "BatchJob"]

# ============================================================================================
# Sync
# ============================================================================================


class BatchJob(JobBase[NebiusClient]):
    """A batch job over a :class:`NebiusClient`: ``submit()``, then ``wait()`` or ``results()``.

    Args:
        client: the client to send with.
        requests: chat-completion or embedding request bodies (dicts or the core's
            ``ChatCompletionRequest`` / ``EmbeddingRequest``), one endpoint per job.
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
        sleep: how to wait between polls (default ``time.sleep``; no wait in testing mode).

    Construction validates and plans the job (or loads the saved one); it sends nothing.
    """

    def __init__(
        self,
        client: NebiusClient,
        requests: Iterable[RequestInput],
        *,
        sleep: Callable[[float], None] | None = None,
        **options: Unpack[BatchOptions],
    ) -> None:
        super().__init__(client, requests, **options)
        self._sleep = sleep or default_sleep

    @classmethod
    def resume(
        cls,
        client: NebiusClient,
        state_path: str | os.PathLike[str],
        *,
        requests: Iterable[RequestInput] | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        sleep: Callable[[float], None] | None = None,
    ) -> BatchJob:
        """Pick a saved job up: nothing already uploaded or created is sent again.

        ``requests`` is needed only if the job died before every file was uploaded.
        """
        job = cls._load(client, state_path, requests, poll_interval, max_poll_interval)
        job._sleep = sleep or default_sleep
        return job

    def submit(self) -> Self:
        """Upload the files and create the batches not yet created; safe to call again."""
        for i, part in self._to_submit():
            try:
                if part.input_file_id is None:
                    uploaded = self._find_file(i) if part.uploading else None
                    if uploaded is None:
                        content = self._content(i)
                        self._uploading(i)
                        uploaded = self._client.upload_file(
                            content, purpose="batch", filename=self._filename(i)
                        )
                    self._uploaded(i, uploaded.id)
                assert part.input_file_id is not None
                if part.creating:
                    found = self._find_batch(part.input_file_id)
                    if found is not None:
                        self._created(i, found)
                        continue
                part.creating = True
                self._checkpoint()
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
                return self._client.create_batch(
                    input_file_id, max_retries=0, **self._create_params(i)
                )
            except TRANSIENT_ERRORS:
                found = self._find_batch(input_file_id)
                if found is not None:
                    return found
                if attempt >= self._client.max_retries:
                    raise
                self._sleep(self._client.retry_policy.delay(attempt))
                attempt += 1

    def _find_file(self, i: int) -> FileObject | None:
        """Part ``i``'s input file, if a run that died uploaded it without recording it."""
        after: str | None = None
        for _ in range(FIND_PAGES):
            page = self._client.list_files(purpose="batch", limit=100, after=after)
            for file in page.data:
                if self._is_upload(i, file):
                    return file
            if not page.has_more or not page.data:
                return None
            after = page.data[-1].id
        return None

    def _find_batch(self, input_file_id: str) -> Batch | None:
        """The batch a crashed ``create_batch`` may have made for this file, if any."""
        after: str | None = None
        for _ in range(FIND_PAGES):
            page = self._client.list_batches(
                limit=100, after=after, extra_query={"input_file_id": input_file_id}
            )
            for batch in page.data:
                if is_match(batch, input_file_id):
                    return batch
            if not page.has_more or not page.data:
                return None
            after = page.last_id or page.data[-1].id
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
        deadline = None if timeout is None else time.monotonic() + timeout
        watch = Watch(self._state.total, self.job_id, on_progress, progress_bar)
        delay = self._poll_interval
        try:
            while True:
                progress = self.poll()
                watch(progress)
                if progress.done:
                    break
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise self._not_finished(f"did not finish within {timeout} s")
                    self._sleep(min(delay, left))
                else:
                    self._sleep(delay)
                delay = next_delay(delay, self._max_poll_interval)
        finally:
            watch.close()
        return self.results()

    def results(self) -> BatchResults:
        """Download the output and error files and map every line to its input.

        Raises :class:`BatchNotFinishedError` if a batch is still running.
        """
        if self._results is not None:
            return self._results
        if not self.done:
            self.poll()
            if not self.done:
                raise self._not_finished("is still running")
        collector = ResultCollector(self._state)
        for part in self._state.parts:
            for kind, file_id in (("output", part.output_file_id), ("error", part.error_file_id)):
                if file_id:
                    content = self._client.get_file_content(file_id)
                    collector.add_file(content, part=part, kind=kind)
        return self._finish(collector)

    def cancel(self) -> BatchProgress:
        """Cancel every submitted batch that is not finished and submit nothing more.

        ``wait()`` then returns the lines that ran; the others say they were cancelled.
        """
        for i, part in self._to_submit():
            found = None
            if part.creating and part.input_file_id is not None:
                found = self._find_batch(part.input_file_id)
            self._mark_cancelled(i, found)
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
    """The async twin of :class:`BatchJob`, over an :class:`AsyncNebiusClient`.

    ``sleep`` is awaited between polls (default ``asyncio.sleep``). Polls and downloads of the
    job's batches run concurrently.
    """

    def __init__(
        self,
        client: AsyncNebiusClient,
        requests: Iterable[RequestInput],
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        **options: Unpack[BatchOptions],
    ) -> None:
        super().__init__(client, requests, **options)
        self._sleep = sleep or default_asleep

    @classmethod
    def resume(
        cls,
        client: AsyncNebiusClient,
        state_path: str | os.PathLike[str],
        *,
        requests: Iterable[RequestInput] | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> AsyncBatchJob:
        """Pick a saved job up; see :meth:`BatchJob.resume`."""
        job = cls._load(client, state_path, requests, poll_interval, max_poll_interval)
        job._sleep = sleep or default_asleep
        return job

    async def submit(self) -> Self:
        """Upload the files and create the batches not yet created; safe to call again."""
        for i, part in self._to_submit():
            try:
                if part.input_file_id is None:
                    uploaded = await self._find_file(i) if part.uploading else None
                    if uploaded is None:
                        content = self._content(i)
                        self._uploading(i)
                        uploaded = await self._client.upload_file(
                            content, purpose="batch", filename=self._filename(i)
                        )
                    self._uploaded(i, uploaded.id)
                assert part.input_file_id is not None
                if part.creating:
                    found = await self._find_batch(part.input_file_id)
                    if found is not None:
                        self._created(i, found)
                        continue
                part.creating = True
                self._checkpoint()
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
                return await self._client.create_batch(
                    input_file_id, max_retries=0, **self._create_params(i)
                )
            except TRANSIENT_ERRORS:
                found = await self._find_batch(input_file_id)
                if found is not None:
                    return found
                if attempt >= self._client.max_retries:
                    raise
                await self._sleep(self._client.retry_policy.delay(attempt))
                attempt += 1

    async def _find_file(self, i: int) -> FileObject | None:
        after: str | None = None
        for _ in range(FIND_PAGES):
            page = await self._client.list_files(purpose="batch", limit=100, after=after)
            for file in page.data:
                if self._is_upload(i, file):
                    return file
            if not page.has_more or not page.data:
                return None
            after = page.data[-1].id
        return None

    async def _find_batch(self, input_file_id: str) -> Batch | None:
        after: str | None = None
        for _ in range(FIND_PAGES):
            page = await self._client.list_batches(
                limit=100, after=after, extra_query={"input_file_id": input_file_id}
            )
            for batch in page.data:
                if is_match(batch, input_file_id):
                    return batch
            if not page.has_more or not page.data:
                return None
            after = page.last_id or page.data[-1].id
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
        deadline = None if timeout is None else time.monotonic() + timeout
        watch = Watch(self._state.total, self.job_id, on_progress, progress_bar)
        delay = self._poll_interval
        try:
            while True:
                progress = await self.poll()
                watch(progress)
                if progress.done:
                    break
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise self._not_finished(f"did not finish within {timeout} s")
                    await self._sleep(min(delay, left))
                else:
                    await self._sleep(delay)
                delay = next_delay(delay, self._max_poll_interval)
        finally:
            watch.close()
        return await self.results()

    async def results(self) -> BatchResults:
        """Download the output and error files and map every line; see :meth:`BatchJob.results`."""
        if self._results is not None:
            return self._results
        if not self.done:
            await self.poll()
            if not self.done:
                raise self._not_finished("is still running")
        files = [
            (part, kind, file_id)
            for part in self._state.parts
            for kind, file_id in (("output", part.output_file_id), ("error", part.error_file_id))
            if file_id
        ]
        gate = asyncio.Semaphore(ASYNC_CONCURRENCY)

        async def download(file_id: str) -> bytes:
            async with gate:
                return await self._client.get_file_content(file_id)

        contents = await asyncio.gather(*(download(file_id) for _, _, file_id in files))
        collector = ResultCollector(self._state)
        for (part, kind, _), content in zip(files, contents):
            collector.add_file(content, part=part, kind=kind)
        return self._finish(collector)

    async def cancel(self) -> BatchProgress:
        """Cancel every unfinished batch; see :meth:`BatchJob.cancel`."""
        for i, part in self._to_submit():
            found = None
            if part.creating and part.input_file_id is not None:
                found = await self._find_batch(part.input_file_id)
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
