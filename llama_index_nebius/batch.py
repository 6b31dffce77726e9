"""Batch API inference for LlamaIndex: many ``NebiusLLM`` chats, or a large corpus of
embeddings, at the Batch API's price, results in input order.

This is the framework half of :mod:`nebius_inference.batch`: each request body is built by
the LLM itself (``NebiusLLM._build_chat_body``: its fields, ``additional_kwargs`` and the
call's ``llm_kwargs``, tools prepared as ``chat_with_tools`` prepares them), and each reply
becomes a ``ChatResponse`` through the LLM's own conversion (text, thinking and tool-call
blocks, usage, ``raw``). Every input ends as a result or as a :class:`NebiusBatchItemError`.

Example::

    from llama_index_nebius import NebiusLLM
    from llama_index_nebius.batch import batch_inference

    llm = NebiusLLM(model="Qwen/Qwen3-235B-A22B-Instruct-2507", max_tokens=64)
    responses = batch_inference(llm, [[ChatMessage(role="user", content="Hi")], "Name a prime."])
    calls = batch_inference(llm, prompts, tools=[weather_tool], tool_required=True)

``state_path="job.json"`` keeps the job's state in a file: calling again with the same path
(even from another process) picks the saved job up instead of submitting it again. For
finer control (submit now, ``cancel()``, wait later) use :class:`ChatBatchJob`. The async
twins are :class:`AsyncChatBatchJob`, :func:`abatch_inference` and
:func:`abatch_text_embeddings`; ``NebiusLLM.batch_inference`` and
``NebiusEmbedding.batch_text_embeddings`` are shortcuts to the functions here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from llama_index.core.base.llms.types import ChatResponse
from typing_extensions import Self, Unpack

from nebius_inference.batch import (
    CHAT_ENDPOINT,
    EMBEDDINGS_ENDPOINT,
    AsyncBatchJob,
    AsyncBatchJobAdapter,
    BatchInputsFailedError,
    BatchItemError,
    BatchItemResult,
    BatchJob,
    BatchJobAdapter,
    BatchOptions,
    BatchResults,
    ProgressCallback,
    check_job_endpoint,
    convert_results,
    open_embedding_job,
    state_to_resume,
    vectors_from_results,
)
from nebius_inference.types import ChatCompletion

from ._batch_convert import ChatCall, ChatInput, ChatRequests, embedding_batch_requests
from ._batch_events import report_batch_chats
from .embeddings import NebiusEmbedding
from .llms import NebiusLLM

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = [
    "AsyncChatBatchJob",
    "ChatBatchJob",
    "ChatInput",
    "ChatRequests",
    "NebiusBatchError",
    "NebiusBatchItemError",
    "abatch_inference",
    "abatch_text_embeddings",
    "batch_inference",
    "batch_text_embeddings",
    "chat_outputs",
    "embedding_batch_requests",
    "vectors_from_results",
]

J = TypeVar("J", BatchJob, AsyncBatchJob)
StatePath = str | os.PathLike[str]
_RESUME_WITH = {CHAT_ENDPOINT: "batch_inference", EMBEDDINGS_ENDPOINT: "batch_text_embeddings"}
"""The function that resumes each kind of job, named when a state file is of the other kind."""


# ============================================================================================
# Errors
# ============================================================================================


NebiusBatchItemError = BatchItemError
"""One input of a batch job has no result (the API rejected its line, its batch failed,
expired or was cancelled, its output line was missing or unreadable...): the core's
:class:`nebius_inference.batch.BatchItemError` (``reason``, ``index``, ``custom_id``,
``status_code``, ``batch_id``)."""

NebiusBatchError = BatchInputsFailedError
"""Some inputs of a batch job failed; raised once the whole job has finished: the core's
:class:`nebius_inference.batch.BatchInputsFailedError` (``outputs``: one result or
:class:`NebiusBatchItemError` per input, in order; ``errors``; ``results``)."""


# ============================================================================================
# Results in: responses
# ============================================================================================


def chat_outputs(
    requests: ChatRequests, results: BatchResults
) -> list[ChatResponse | NebiusBatchItemError]:
    """One ``ChatResponse`` or error per input of a finished chat job."""

    def convert(item: BatchItemResult) -> ChatResponse:
        return requests.response(cast("ChatCompletion", item.response))

    return convert_results(
        results, convert, item_error_class=NebiusBatchItemError, expect=ChatCompletion
    )


# ============================================================================================
# Chat jobs
# ============================================================================================


class _ChatJob(Generic[J]):
    """The LlamaIndex half of both chat job classes: planning, resuming, the conversion. The
    rest (``submit``, ``poll``, ``cancel``, ``wait``...) is the core's ``BatchJobAdapter``."""

    _requests: ChatRequests
    _job: J
    _calls_made: list[ChatCall] | None

    def __init__(
        self,
        llm: NebiusLLM,
        inputs: Sequence[ChatInput],
        *,
        tools: Sequence[BaseTool] | None = None,
        tool_required: bool = False,
        allow_parallel_tool_calls: bool = False,
        llm_kwargs: Mapping[str, Any] | None = None,
        sleep: Any = None,
        **options: Unpack[BatchOptions],
    ) -> None:
        spec = ChatRequests(
            llm, dict(llm_kwargs or {}), tools, tool_required, allow_parallel_tool_calls
        )
        calls = spec.calls(inputs)
        options["endpoint"] = CHAT_ENDPOINT
        core, client = self._core(llm)
        self._requests, self._calls_made = spec, calls
        self._job = core(client, spec.bodies_of(calls), sleep=sleep, **options)

    @classmethod
    def resume(
        cls,
        llm: NebiusLLM,
        state_path: StatePath,
        *,
        inputs: Sequence[ChatInput] | None = None,
        tools: Sequence[BaseTool] | None = None,
        tool_required: bool = False,
        allow_parallel_tool_calls: bool = False,
        llm_kwargs: Mapping[str, Any] | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        sleep: Any = None,
    ) -> Self:
        """Pick a saved job up; nothing already uploaded or created is sent again.

        Pass the job's ``tools``/``allow_parallel_tool_calls`` again so replies are read
        the same way. ``inputs`` (the same, in the same order) are needed only if the job
        stopped before every file was uploaded; when given, they are checked.
        """
        check_job_endpoint(state_path, CHAT_ENDPOINT, resume_with=_RESUME_WITH)
        spec = ChatRequests(
            llm, dict(llm_kwargs or {}), tools, tool_required, allow_parallel_tool_calls
        )
        calls = None if inputs is None else spec.calls(inputs)
        bodies = None if calls is None else spec.bodies_of(calls)
        core, client = cls._core(llm)
        job = core.resume(
            client,
            state_path,
            requests=bodies,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            sleep=sleep,
        )
        wrapper = cls.__new__(cls)
        wrapper._requests, wrapper._job, wrapper._calls_made = spec, job, calls
        return wrapper

    @classmethod
    def open(
        cls,
        llm: NebiusLLM,
        inputs: Sequence[ChatInput],
        *,
        resume: bool = True,
        tools: Sequence[BaseTool] | None = None,
        tool_required: bool = False,
        allow_parallel_tool_calls: bool = False,
        llm_kwargs: Mapping[str, Any] | None = None,
        **options: Unpack[BatchOptions],
    ) -> Self:
        """A new job; or, if ``resume`` and ``state_path`` names an existing state file, the
        job saved there (``inputs`` must be the same; the saved job's file limits apply)."""
        saved = state_to_resume(options, resume)
        if saved is not None:
            path, poll, most = saved
            return cls.resume(
                llm,
                path,
                inputs=inputs,
                tools=tools,
                tool_required=tool_required,
                allow_parallel_tool_calls=allow_parallel_tool_calls,
                llm_kwargs=llm_kwargs,
                poll_interval=poll,
                max_poll_interval=most,
            )
        return cls(
            llm,
            inputs,
            tools=tools,
            tool_required=tool_required,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            llm_kwargs=llm_kwargs,
            **options,
        )

    @staticmethod
    def _core(llm: NebiusLLM) -> tuple[type[J], Any]:
        """The core job class and the client it sends with."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._requests.llm.model!r}, {self._job!r})"

    def _convert(self, results: BatchResults) -> list[ChatResponse | NebiusBatchItemError]:
        return chat_outputs(self._requests, results)

    def _report(self, outputs: Sequence[ChatResponse | BatchItemError]) -> None:
        # A job resumed without its inputs has no messages to report.
        if self._calls_made is not None:
            report_batch_chats(self._requests.llm, self._calls_made, outputs)


class ChatBatchJob(_ChatJob[BatchJob], BatchJobAdapter[ChatResponse]):
    """A batch job of ``NebiusLLM`` chats: ``submit()``, ``wait()``, ``cancel()``.

    Args:
        llm: the ``NebiusLLM`` whose client, fields and conversion are used.
        inputs: the chats: message lists (or prompt strings), one per request.
        tools: LlamaIndex tools, sent as ``chat_with_tools`` sends them...
        tool_required: ...with ``tool_choice="required"`` (``llm_kwargs={"tool_choice":
            "name"}`` forces one tool)...
        allow_parallel_tool_calls: ...and replies cut to their first tool call unless True.
        llm_kwargs: request fields for every chat, as ``llm.chat(messages, **llm_kwargs)``.
        sleep: how to wait between polls (default ``time.sleep``).
        options: the core job's options: ``state_path`` (a JSON file rewritten at every
            step, for :meth:`resume`), ``poll_interval``, ``max_poll_interval``,
            ``max_requests_per_file``, ``max_bytes_per_file``, ``metadata``, ``custom_ids``.

    Construction builds and checks every request; it sends nothing. ``wait()`` returns one
    ``ChatResponse`` per input, in order; if an input failed it raises
    :class:`NebiusBatchError` (every other response is in its ``outputs``), or with
    ``return_exceptions=True`` puts its :class:`NebiusBatchItemError` in its place.
    """

    @staticmethod
    def _core(llm: NebiusLLM) -> tuple[type[BatchJob], Any]:
        return BatchJob, llm.client


class AsyncChatBatchJob(_ChatJob[AsyncBatchJob], AsyncBatchJobAdapter[ChatResponse]):
    """The async twin of :class:`ChatBatchJob` (``sleep`` is awaited between polls)."""

    @staticmethod
    def _core(llm: NebiusLLM) -> tuple[type[AsyncBatchJob], Any]:
        return AsyncBatchJob, llm.async_client


# ============================================================================================
# One call
# ============================================================================================


def batch_inference(
    llm: NebiusLLM,
    inputs: Sequence[ChatInput],
    *,
    tools: Sequence[BaseTool] | None = None,
    tool_required: bool = False,
    allow_parallel_tool_calls: bool = False,
    llm_kwargs: Mapping[str, Any] | None = None,
    return_exceptions: bool = False,
    resume: bool = True,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[ChatResponse]:
    """Run chats through the Batch API; one ``ChatResponse`` per input, in order, as
    ``llm.chat`` (or, with ``tools``, ``llm.chat_with_tools``) would return it.

    Args:
        llm: the ``NebiusLLM``.
        inputs: message lists (or prompt strings).
        tools, tool_required, allow_parallel_tool_calls, llm_kwargs: see :class:`ChatBatchJob`.
        return_exceptions: put a failed input's :class:`NebiusBatchItemError` in its place
            instead of raising :class:`NebiusBatchError` once the job is done.
        resume: if ``state_path`` names an existing state file, pick that job up (the same
            inputs are expected) instead of submitting a new one; ``False`` overwrites it.
        timeout: seconds to wait; then ``BatchNotFinishedError`` (the job keeps running).
        on_progress: called with a ``BatchProgress`` after every poll.
        progress_bar: show progress (tqdm if installed, else a line on stderr).
        options: ``state_path``, ``poll_interval``, ``max_poll_interval``,
            ``max_requests_per_file``, ``max_bytes_per_file``, ``metadata``, ``custom_ids``.
    """
    job = ChatBatchJob.open(
        llm,
        inputs,
        resume=resume,
        tools=tools,
        tool_required=tool_required,
        allow_parallel_tool_calls=allow_parallel_tool_calls,
        llm_kwargs=llm_kwargs,
        **options,
    )
    return job.wait(
        timeout=timeout,
        on_progress=on_progress,
        progress_bar=progress_bar,
        return_exceptions=return_exceptions,
    )


async def abatch_inference(
    llm: NebiusLLM,
    inputs: Sequence[ChatInput],
    *,
    tools: Sequence[BaseTool] | None = None,
    tool_required: bool = False,
    allow_parallel_tool_calls: bool = False,
    llm_kwargs: Mapping[str, Any] | None = None,
    return_exceptions: bool = False,
    resume: bool = True,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[ChatResponse]:
    """The async twin of :func:`batch_inference`."""
    job = AsyncChatBatchJob.open(
        llm,
        inputs,
        resume=resume,
        tools=tools,
        tool_required=tool_required,
        allow_parallel_tool_calls=allow_parallel_tool_calls,
        llm_kwargs=llm_kwargs,
        **options,
    )
    return await job.wait(
        timeout=timeout,
        on_progress=on_progress,
        progress_bar=progress_bar,
        return_exceptions=return_exceptions,
    )


def batch_text_embeddings(
    embed_model: NebiusEmbedding,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    resume: bool = True,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """Embed documents through the Batch API; one vector per text, in order, the same
    vectors ``embed_model.get_text_embedding_batch`` returns.

    ``texts_per_request`` texts go in each request line (one by default, so a failure costs
    one text). Raises :class:`NebiusBatchError` (the vectors that came back in its
    ``outputs``) if any request failed. The other arguments are :func:`batch_inference`'s.
    """
    if not texts:
        return []
    requests = embedding_batch_requests(embed_model, texts, texts_per_request=texts_per_request)
    job = open_embedding_job(
        BatchJob, embed_model.client, requests, options, resume=resume, resume_with=_RESUME_WITH
    )
    results = job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))


async def abatch_text_embeddings(
    embed_model: NebiusEmbedding,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    resume: bool = True,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """The async twin of :func:`batch_text_embeddings`."""
    if not texts:
        return []
    client = embed_model.async_client
    requests = embedding_batch_requests(embed_model, texts, texts_per_request=texts_per_request)
    job = open_embedding_job(
        AsyncBatchJob, client, requests, options, resume=resume, resume_with=_RESUME_WITH
    )
    results = await job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))
