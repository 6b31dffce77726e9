"""The framework-agnostic half of the adapters' batch inference: per-input errors, converting a
finished job's results to a framework's outputs, embedding vectors per text, resuming a saved
job, and the base of the adapters' job classes. No I/O but the state file.

An adapter (LangChain, LlamaIndex) supplies what only it knows: how a reply becomes its
message or response, and its own subclasses of :class:`BatchItemError` and
:class:`BatchInputsFailedError`, which the helpers here take as parameters.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, cast

from typing_extensions import Self

from ._batch_base import BatchOptions, ProgressCallback
from ._batch_jobs import AsyncBatchJob, BatchJob
from ._batch_plan import (
    CHAT_ENDPOINT,
    EMBEDDINGS_ENDPOINT,
    BatchJobState,
    BatchStateError,
    Endpoint,
    RequestInput,
)
from ._batch_results import BatchItemResult, BatchProgress, BatchResults
from ._errors import NebiusError
from .types import CreateEmbeddingResponse

__all__ = [
    "AsyncBatchJobAdapter",
    "BatchInputsFailedError",
    "BatchItemError",
    "BatchJobAdapter",
    "check_job_endpoint",
    "convert_results",
    "item_error",
    "open_embedding_job",
    "outputs_or_raise",
    "state_to_resume",
    "vectors_from_results",
]

T = TypeVar("T")
Out = TypeVar("Out")
E = TypeVar("E", bound="BatchItemError")
J = TypeVar("J", BatchJob, AsyncBatchJob)
StatePath = str | os.PathLike[str]


# ============================================================================================
# Errors
# ============================================================================================


class BatchItemError(NebiusError):
    """One input of a batch job has no result (the API rejected its line, its batch failed,
    expired or was cancelled, its output line was missing or unreadable...).

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


class BatchInputsFailedError(NebiusError):
    """Some inputs of a batch job failed; raised once the whole job has finished.

    Attributes:
        outputs: one entry per input, in order: its result, or its :class:`BatchItemError`.
            The successful results are all here.
        errors: the distinct errors, in input order.
        results: the core's :class:`~nebius_inference.batch.BatchResults` (raw replies,
            batch ids, notes), when there is one.
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


# ============================================================================================
# Results in, outputs out (pure)
# ============================================================================================


def item_error(item: BatchItemResult, reason: str | None = None, *, error_class: type[E]) -> E:
    """An ``error_class`` error (a :class:`BatchItemError`) for a result without a usable response;
    ``reason`` defaults to the result's own error."""
    return error_class(
        reason or item.error or "no response",
        index=item.index,
        custom_id=item.custom_id,
        status_code=item.status_code,
        batch_id=item.batch_id,
    )


def convert_results(
    results: BatchResults,
    convert: Callable[[BatchItemResult], T],
    *,
    item_error_class: type[E],
    expect: type[Any] | None = None,
) -> list[T | E]:
    """``convert`` every successful item, in order. A failed item, one whose response is not
    an ``expect`` (when given), or one ``convert`` cannot read (it raised a ``NebiusError``,
    ``ValueError`` or ``TypeError``) becomes its ``item_error_class`` error."""
    outputs: list[T | E] = []
    for item in results:
        if not item.ok or (expect is not None and not isinstance(item.response, expect)):
            outputs.append(item_error(item, error_class=item_error_class))
            continue
        try:
            outputs.append(convert(item))
        except (NebiusError, ValueError, TypeError) as exc:
            reason = f"its reply could not be read: {exc}"
            outputs.append(item_error(item, reason, error_class=item_error_class))
    return outputs


def outputs_or_raise(
    outputs: Sequence[T | BatchItemError],
    results: BatchResults | None,
    *,
    job_error_class: type[BatchInputsFailedError] = BatchInputsFailedError,
) -> list[T]:
    """``outputs`` as a list if none of them is an error; else raise ``job_error_class`` with all of
    them (and ``results``)."""
    if any(isinstance(o, BatchItemError) for o in outputs):
        raise job_error_class(outputs, results)
    return cast("list[T]", list(outputs))


def vectors_from_results(
    results: BatchResults,
    *,
    texts_per_request: int,
    total: int,
    item_error_class: type[BatchItemError] = BatchItemError,
    job_error_class: type[BatchInputsFailedError] = BatchInputsFailedError,
) -> list[list[float]]:
    """The vectors of a finished embeddings job of ``total`` texts, ``texts_per_request`` per
    request, one per text, in order. If any failed (or a reply has the wrong number of
    vectors) raises ``job_error_class`` with every text's vector or ``item_error_class`` error in
    its ``outputs``."""
    outputs: list[list[float] | BatchItemError] = []
    for item in results:
        expected = min(texts_per_request, total - item.index * texts_per_request)
        vectors: list[list[float]] | BatchItemError
        if not item.ok or not isinstance(item.response, CreateEmbeddingResponse):
            vectors = item_error(item, error_class=item_error_class)
        else:
            vectors = item.response.vectors()
            if len(vectors) != expected:
                reason = f"the reply has {len(vectors)} vectors for {expected} texts"
                vectors = item_error(item, reason, error_class=item_error_class)
        if isinstance(vectors, BatchItemError):
            outputs.extend([vectors] * expected)
        else:
            outputs.extend(vectors)
    return outputs_or_raise(outputs, results, job_error_class=job_error_class)


# ============================================================================================
# Resuming a saved job
# ============================================================================================


def state_to_resume(options: BatchOptions, resume: bool) -> tuple[StatePath, float, float] | None:
    """If ``resume`` and ``options["state_path"]`` names an existing state file: that path and
    the poll intervals a new job would have (``poll_interval``, ``max_poll_interval``), which
    the resumed job takes too. Else ``None``."""
    path = options.get("state_path")
    if not resume and path is not None:
        Path(path).unlink(missing_ok=True)  # a new job, as asked
    if not resume or path is None or not Path(path).exists():
        return None
    return path, options.get("poll_interval", 5.0), options.get("max_poll_interval", 60.0)


def check_job_endpoint(
    path: StatePath, endpoint: str, *, resume_with: Mapping[Endpoint, str]
) -> None:
    """Refuse the state file at ``path`` if its job is not an ``endpoint`` job, before its
    requests are rebuilt. ``resume_with`` maps ``CHAT_ENDPOINT`` and ``EMBEDDINGS_ENDPOINT``
    to the function the error tells the user to call instead."""
    state = BatchJobState.load(path)
    if state.endpoint != endpoint:
        chat = state.endpoint == CHAT_ENDPOINT
        kind = "a chat" if chat else "an embeddings"
        use = resume_with[CHAT_ENDPOINT if chat else EMBEDDINGS_ENDPOINT]
        raise BatchStateError(f"Batch job {state.job_id} is {kind} job; resume it with {use}().")


def open_embedding_job(
    core: type[J],
    client: Any,
    requests: Sequence[RequestInput],
    options: BatchOptions,
    *,
    resume: bool,
    resume_with: Mapping[Endpoint, str],
) -> J:
    """A new embeddings job (``core`` is :class:`BatchJob` or :class:`AsyncBatchJob`) of
    ``requests``; or, if ``resume`` and ``state_path`` names an existing state file, the job
    saved there (see :func:`check_job_endpoint` for ``resume_with``)."""
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    saved = state_to_resume(options, resume)
    if saved is None:
        return core(client, requests, **options)
    path, poll, most = saved
    check_job_endpoint(path, EMBEDDINGS_ENDPOINT, resume_with=resume_with)
    return core.resume(client, path, requests=requests, poll_interval=poll, max_poll_interval=most)


# ============================================================================================
# The base of the adapters' job classes
# ============================================================================================


class _JobOutputs(Generic[J, Out]):
    """What an adapter's sync and async job classes share: the core job they wrap, its
    progress, and a finished job's outputs (``Out``, the framework's reply type) in order.

    A subclass sets ``_job``, implements :meth:`_convert` and may override :meth:`_calls`,
    :meth:`_report` / :meth:`_areport` and ``_job_error_class``.
    """

    _job: J
    _job_error_class: ClassVar[type[BatchInputsFailedError]] = BatchInputsFailedError
    """The error :meth:`wait` raises when an input failed (without ``return_exceptions``)."""

    def _calls(self) -> AbstractContextManager[None]:
        """The context every call to the core job runs in (an adapter translates errors)."""
        return contextlib.nullcontext()

    def _convert(self, results: BatchResults) -> Sequence[Out | BatchItemError]:
        """One output or :class:`BatchItemError` per input of a finished job."""
        raise NotImplementedError

    @property
    def job(self) -> J:
        """The ``nebius_inference.batch`` job doing the work: ``job_id``, ``state_path``,
        ``batch_ids``, ``state``..."""
        return self._job

    @property
    def progress(self) -> BatchProgress:
        """Progress as of the last poll (no request is sent)."""
        return self._job.progress

    def _report(self, outputs: Sequence[Out | BatchItemError]) -> None:
        """Tell the framework about each finished input (its callbacks or events); called once
        per :meth:`wait`, before a failure is raised. Does nothing by default."""

    async def _areport(self, outputs: Sequence[Out | BatchItemError]) -> None:
        """The async twin of :meth:`_report` (by default, :meth:`_report`)."""
        self._report(outputs)

    def _finish(
        self,
        outputs: Sequence[Out | BatchItemError],
        results: BatchResults,
        return_exceptions: bool,
    ) -> list[Out]:
        """Typed as ``Runnable.batch`` is: with ``return_exceptions`` a slot may hold an error."""
        if return_exceptions:
            return cast("list[Out]", list(outputs))
        return outputs_or_raise(outputs, results, job_error_class=self._job_error_class)


class BatchJobAdapter(_JobOutputs[BatchJob, Out]):
    """The base of an adapter's batch job class: ``submit()``, ``poll()``, ``cancel()`` and
    ``wait()`` over a :class:`BatchJob`, ``wait()`` returning the framework's outputs."""

    def submit(self) -> Self:
        """Upload the files and create the batches not yet created; safe to call again."""
        with self._calls():
            self._job.submit()
        return self

    def poll(self) -> BatchProgress:
        """Ask the API once about every unfinished batch."""
        with self._calls():
            return self._job.poll()

    def cancel(self) -> BatchProgress:
        """Cancel the unfinished batches; ``wait()`` then says which inputs did not run."""
        with self._calls():
            return self._job.cancel()

    def wait(
        self,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        progress_bar: bool = False,
        return_exceptions: bool = False,
    ) -> list[Out]:
        """Submit if needed, poll until every batch is done, and return one output per input,
        in order (a finished job's results are downloaded once).

        If an input failed: raises the adapter's :class:`BatchInputsFailedError` (every other
        output is in its ``outputs``), or with ``return_exceptions=True`` puts its
        :class:`BatchItemError` in its place. After ``timeout`` seconds raises
        ``BatchNotFinishedError`` (the batches keep running; wait again or resume later).
        ``on_progress`` is called after each poll; ``progress_bar`` shows a bar (tqdm if
        installed, else a line on stderr).
        """
        with self._calls():
            results = self._job.wait(
                timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
            )
        outputs = self._convert(results)
        self._report(outputs)
        return self._finish(outputs, results, return_exceptions)


class AsyncBatchJobAdapter(_JobOutputs[AsyncBatchJob, Out]):
    """The async twin of :class:`BatchJobAdapter`, over an :class:`AsyncBatchJob`."""

    async def submit(self) -> Self:
        """Upload the files and create the batches not yet created; safe to call again."""
        with self._calls():
            await self._job.submit()
        return self

    async def poll(self) -> BatchProgress:
        """Ask the API once about every unfinished batch."""
        with self._calls():
            return await self._job.poll()

    async def cancel(self) -> BatchProgress:
        """Cancel the unfinished batches; ``wait()`` then says which inputs did not run."""
        with self._calls():
            return await self._job.cancel()

    async def wait(
        self,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        progress_bar: bool = False,
        return_exceptions: bool = False,
    ) -> list[Out]:
        """See :meth:`BatchJobAdapter.wait`."""
        with self._calls():
            results = await self._job.wait(
                timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
            )
        outputs = self._convert(results)
        await self._areport(outputs)
        return self._finish(outputs, results, return_exceptions)
