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

``state_path="job.json"`` keeps the job's state in a file: the same call run again (even from
another process, after a crash) picks the saved job up instead of submitting it again; other
inputs raise ``BatchStateError``. For finer control (submit now, ``cancel()``, wait later) use
:class:`ChatBatchJob`. The async twins are :class:`AsyncChatBatchJob`,
:func:`abatch_inference` and :func:`abatch_text_embeddings`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from llama_index.core.base.llms.types import ChatResponse
from typing_extensions import Self, Unpack

from nebius_inference.batch import (
    CHAT_ENDPOINT,
    AsyncBatchJob,
    BatchInputsFailedError,
    BatchItemError,
    BatchItemResult,
    BatchJob,
    BatchJobWrapper,
    BatchOptions,
    BatchProgress,
    BatchResults,
    ProgressCallback,
)
from nebius_inference.types import ChatCompletion

from ._batch_convert import ChatCall, ChatInput, ChatRequests, embedding_batch_requests
from ._batch_embed import (
    abatch_text_embeddings,
    aembedded_node_chunks,
    batch_text_embeddings,
    embedded_node_chunks,
    embedding_batch_job,
    vectors_from_results,
)
from ._batch_events import report_batch_chats

if TYPE_CHECKING:
    import os

    from llama_index.core.tools.types import BaseTool

    from .llms import NebiusLLM

__all__ = [
    "AsyncChatBatchJob",
    "ChatBatchJob",
    "ChatInput",
    "ChatRequests",
    "NebiusBatchError",
    "NebiusBatchItemError",
    "abatch_inference",
    "abatch_text_embeddings",
    "aembedded_node_chunks",
    "batch_inference",
    "batch_text_embeddings",
    "chat_outputs",
    "embedded_node_chunks",
    "embedding_batch_job",
    "embedding_batch_requests",
    "vectors_from_results",
]

J = TypeVar("J", BatchJob, AsyncBatchJob)


# ============================================================================================
# Errors
# ============================================================================================


NebiusBatchItemError = BatchItemError
"""One input of a batch job has no result (it was invalid, the API rejected its line, its batch
failed, expired or was cancelled, its output line was missing or unreadable...): the core's
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
        if not isinstance(item.response, ChatCompletion):
            raise TypeError("the reply is not a chat completion")
        return requests.response(item.response)

    return results.outputs(convert)


def _finish(
    outputs: list[ChatResponse | BatchItemError], results: BatchResults, return_exceptions: bool
) -> list[ChatResponse]:
    """With ``return_exceptions`` a slot may hold an error, as in ``Runnable.batch``."""
    if return_exceptions:
        return outputs  # type: ignore[return-value]
    return NebiusBatchError.check(outputs, results)


# ============================================================================================
# Chat jobs
# ============================================================================================


class _ChatJob(BatchJobWrapper[J]):
    """What both chat job classes share: the core job (``job``, ``progress`` and the repr come
    from :class:`~nebius_inference.batch.BatchJobWrapper`), how requests are built and read
    back, and the calls to report."""

    _requests: ChatRequests
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
        state_path: str | os.PathLike[str],
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
        the same way. With ``inputs`` (the same, in the same order) this is the job a new one
        with this ``state_path`` resumes; without them it needs every file uploaded already.
        """
        if inputs is not None:
            return cls(
                llm,
                inputs,
                tools=tools,
                tool_required=tool_required,
                allow_parallel_tool_calls=allow_parallel_tool_calls,
                llm_kwargs=llm_kwargs,
                sleep=sleep,
                state_path=state_path,
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
            )
        core, client = cls._core(llm)
        wrapper = cls.__new__(cls)
        wrapper._job = core.resume(
            client,
            state_path,
            endpoint=CHAT_ENDPOINT,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            sleep=sleep,
        )
        wrapper._requests = ChatRequests(
            llm, dict(llm_kwargs or {}), tools, tool_required, allow_parallel_tool_calls
        )
        wrapper._calls_made = None
        return wrapper

    @staticmethod
    def _core(llm: NebiusLLM) -> tuple[type[J], Any]:
        """The core job class and the client it sends with."""
        raise NotImplementedError

    def _model_name(self) -> str:
        return self._requests.llm.model

    def _outputs(self, results: BatchResults, return_exceptions: bool) -> list[ChatResponse]:
        outputs = chat_outputs(self._requests, results)
        if self._calls_made is not None:  # a job resumed without its inputs has none to report
            report_batch_chats(self._requests.llm, self._calls_made, outputs)
        return _finish(outputs, results, return_exceptions)


class ChatBatchJob(_ChatJob[BatchJob]):
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
            step; if it exists, the job saved there is resumed), ``poll_interval``,
            ``max_poll_interval``, ``max_requests_per_file``, ``max_bytes_per_file``,
            ``metadata``, ``custom_ids``, ``refuse_invalid``.

    Construction builds and checks every request; it sends nothing. ``wait()`` returns one
    ``ChatResponse`` per input, in order; if an input failed it raises
    :class:`NebiusBatchError` (every other response is in its ``outputs``), or with
    ``return_exceptions=True`` puts its :class:`NebiusBatchItemError` in its place.
    """

    @staticmethod
    def _core(llm: NebiusLLM) -> tuple[type[BatchJob], Any]:
        return BatchJob, llm.client

    def submit(self) -> Self:
        """Upload the files and create the batches not yet created; safe to call again."""
        self._job.submit()
        return self

    def poll(self) -> BatchProgress:
        """Ask the API once about every unfinished batch."""
        return self._job.poll()

    def cancel(self) -> BatchProgress:
        """Cancel the unfinished batches; ``wait()`` then says which inputs did not run."""
        return self._job.cancel()

    def wait(
        self,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        progress_bar: bool = False,
        return_exceptions: bool = False,
    ) -> list[ChatResponse]:
        """Submit if needed, poll until every batch is done, and return one ``ChatResponse``
        per input, in order (a finished job's results are downloaded once).

        After ``timeout`` seconds raises ``BatchNotFinishedError`` (the batches keep running;
        wait again or resume later). ``on_progress`` is called after each poll;
        ``progress_bar`` shows a bar (tqdm if installed, else a line on stderr).
        """
        results = self._job.wait(
            timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
        )
        return self._outputs(results, return_exceptions)


class AsyncChatBatchJob(_ChatJob[AsyncBatchJob]):
    """The async twin of :class:`ChatBatchJob` (``sleep`` is awaited between polls)."""

    @staticmethod
    def _core(llm: NebiusLLM) -> tuple[type[AsyncBatchJob], Any]:
        return AsyncBatchJob, llm.async_client

    async def submit(self) -> Self:
        """Upload the files and create the batches not yet created; safe to call again."""
        await self._job.submit()
        return self

    async def poll(self) -> BatchProgress:
        """Ask the API once about every unfinished batch."""
        return await self._job.poll()

    async def cancel(self) -> BatchProgress:
        """Cancel the unfinished batches; ``wait()`` then says which inputs did not run."""
        return await self._job.cancel()

    async def wait(
        self,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        progress_bar: bool = False,
        return_exceptions: bool = False,
    ) -> list[ChatResponse]:
        """See :meth:`ChatBatchJob.wait`."""
        results = await self._job.wait(
            timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
        )
        return self._outputs(results, return_exceptions)


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
        timeout: seconds to wait; then ``BatchNotFinishedError`` (the job keeps running).
        on_progress: called with a ``BatchProgress`` after every poll.
        progress_bar: show progress (tqdm if installed, else a line on stderr).
        options: ``state_path`` (if the file exists, the job saved there is resumed: the same
            inputs are expected), ``poll_interval``, ``max_poll_interval``,
            ``max_requests_per_file``, ``max_bytes_per_file``, ``metadata``, ``custom_ids``,
            ``refuse_invalid``.
    """
    job = ChatBatchJob(
        llm,
        inputs,
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
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[ChatResponse]:
    """The async twin of :func:`batch_inference`."""
    job = AsyncChatBatchJob(
        llm,
        inputs,
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
