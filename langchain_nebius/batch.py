"""Batch API inference for LangChain: many ``ChatNebius`` calls, or a large corpus of
embeddings, at the Batch API's price, results in input order.

This is the framework half of :mod:`nebius_inference.batch`: inputs are what ``invoke``
accepts (strings, message lists, ``PromptValue``\\ s), request bodies are built by the chat
model itself (its parameters, bound tools and bound keyword arguments included), and every
reply is converted to an ``AIMessage`` exactly as ``invoke`` converts it (tool calls, usage,
response metadata, reasoning). Every input ends as a result or as a
:class:`NebiusBatchItemError` that says why.

Example::

    from langchain_nebius import ChatNebius
    from langchain_nebius.batch import batch_inference

    llm = ChatNebius(model="Qwen/Qwen3-235B-A22B-Instruct-2507", max_tokens=64)
    replies = batch_inference(llm, ["What is 2+2?", "Name a prime."], progress_bar=True)
    tools = batch_inference(llm.bind_tools([get_weather], tool_choice="get_weather"), prompts)

``state_path="job.json"`` keeps the job's state in a file: the same call run again (even from
another process, after a crash) picks the saved job up instead of submitting it again; other
inputs raise ``BatchStateError``. For finer control (submit now, ``cancel()``, wait later) use
:class:`ChatBatchJob`. :class:`AsyncChatBatchJob`, :func:`abatch_inference` and
:func:`aembed_documents_batch` are the async twins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.utils.utils import LC_ID_PREFIX
from typing_extensions import Self, Unpack

from nebius_inference.batch import (
    CHAT_ENDPOINT,
    AsyncBatchJob,
    BatchItemError,
    BatchItemResult,
    BatchJob,
    BatchJobState,
    BatchJobWrapper,
    BatchOptions,
    BatchProgress,
    BatchResults,
    ProgressCallback,
)
from nebius_inference.types import ChatCompletion

from ._batch_callbacks import BatchRunReporter
from ._batch_convert import (
    ChatCalls,
    chat_batch_requests,
    embedding_batch_requests,
    message_from_batch_completion,
    resolve_chat_model,
)
from ._batch_embed import (
    aembed_documents_batch,
    aembedding_chunks,
    embed_documents_batch,
    embedding_batch_job,
    embedding_chunks,
    vectors_from_results,
)
from ._batch_errors import NebiusBatchError, NebiusBatchItemError
from ._errors import translate_errors

if TYPE_CHECKING:
    import os

    from .chat_models import ChatNebius

__all__ = [
    "AsyncChatBatchJob",
    "ChatBatchJob",
    "NebiusBatchError",
    "NebiusBatchItemError",
    "abatch_inference",
    "aembed_documents_batch",
    "aembedding_chunks",
    "batch_inference",
    "chat_batch_requests",
    "chat_outputs",
    "embed_documents_batch",
    "embedding_batch_job",
    "embedding_batch_requests",
    "embedding_chunks",
    "message_from_batch_completion",
    "resolve_chat_model",
    "vectors_from_results",
]

J = TypeVar("J", BatchJob, AsyncBatchJob)

# ============================================================================================
# Results in: messages
# ============================================================================================


def chat_outputs(
    chat: ChatNebius, state: BatchJobState, results: BatchResults
) -> list[AIMessage | BatchItemError]:
    """One ``AIMessage`` or :class:`NebiusBatchItemError` per input of a finished chat job."""
    models = [""] * state.total
    for part in state.parts:
        for index in part.indices():
            models[index] = part.model

    def convert(item: BatchItemResult) -> AIMessage:
        if not isinstance(item.response, ChatCompletion):
            raise TypeError("the reply is not a chat completion")
        message_id = f"{LC_ID_PREFIX}{item.custom_id}"
        return message_from_batch_completion(
            chat, item.response, model=models[item.index], message_id=message_id
        )

    return results.outputs(convert, error_class=NebiusBatchItemError)


# ============================================================================================
# Chat jobs
# ============================================================================================


class _ChatJob(BatchJobWrapper[J]):
    """What both chat job classes share: the core job (``job``, ``progress`` and the repr come
    from :class:`~nebius_inference.batch.BatchJobWrapper`), the chat model, the callback
    reporter."""

    _chat: ChatNebius
    _reporter: BatchRunReporter | None

    def __init__(
        self,
        model: Runnable[Any, Any],
        inputs: Sequence[LanguageModelInput],
        *,
        stop: list[str] | None = None,
        config: RunnableConfig | None = None,
        sleep: Any = None,
        **options: Unpack[BatchOptions],
    ) -> None:
        calls = ChatCalls.of(model, inputs, stop=stop)
        options["endpoint"] = CHAT_ENDPOINT
        core, client = self._core(calls.chat)
        with translate_errors():
            self._job = core(client, calls.bodies(), sleep=sleep, **options)
        self._chat = calls.chat
        self._reporter = BatchRunReporter(model, calls, config=config)

    @classmethod
    def resume(
        cls,
        model: Runnable[Any, Any],
        state_path: str | os.PathLike[str],
        *,
        inputs: Sequence[LanguageModelInput] | None = None,
        stop: list[str] | None = None,
        config: RunnableConfig | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        sleep: Any = None,
    ) -> Self:
        """Pick a saved job up; nothing already uploaded or created is sent again.

        With ``inputs`` (the same, in the same order) this is the job a new one with this
        ``state_path`` resumes, and the callback handlers hear of each input's run; without
        them it needs every file uploaded already, and there are no messages to report.
        """
        if inputs is not None:
            return cls(
                model,
                inputs,
                stop=stop,
                config=config,
                sleep=sleep,
                state_path=state_path,
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
            )
        chat, _ = resolve_chat_model(model)
        core, client = cls._core(chat)
        wrapper = cls.__new__(cls)
        with translate_errors():
            wrapper._job = core.resume(
                client,
                state_path,
                endpoint=CHAT_ENDPOINT,
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
                sleep=sleep,
            )
        wrapper._chat, wrapper._reporter = chat, None
        return wrapper

    @staticmethod
    def _core(chat: ChatNebius) -> tuple[type[J], Any]:
        """The core job class and the client it sends with."""
        raise NotImplementedError

    def _model_name(self) -> str:
        return self._chat.model_name


def _finish(
    outputs: list[AIMessage | BatchItemError], results: BatchResults, return_exceptions: bool
) -> list[AIMessage]:
    """Typed as ``Runnable.batch`` is: with ``return_exceptions`` a slot may hold an error."""
    if return_exceptions:
        return outputs  # type: ignore[return-value]
    return NebiusBatchError.check(outputs, results)


class ChatBatchJob(_ChatJob[BatchJob]):
    """A batch job of ``ChatNebius`` inputs: ``submit()``, ``wait()``, ``cancel()``.

    Args:
        model: a ``ChatNebius``, or what its ``bind_tools(...)``/``bind(...)`` returns.
        inputs: what ``invoke`` accepts, one per request.
        stop: stop sequences, as ``invoke(..., stop=...)``.
        config: as ``invoke``'s: ``callbacks``, ``tags``, ``metadata``, ``run_name``. Each
            input is reported to the handlers as a chat model run when ``wait()`` returns
            (its reply with its usage, or its error).
        sleep: how to wait between polls (default ``time.sleep``).
        options: the core job's options: ``state_path`` (a JSON file rewritten at every
            step; if it exists, the job saved there is resumed), ``poll_interval``,
            ``max_poll_interval``, ``max_requests_per_file``, ``max_bytes_per_file``,
            ``metadata``, ``custom_ids``, ``refuse_invalid``.

    Construction builds and checks every request; it sends nothing. ``wait()`` returns one
    ``AIMessage`` per input, in order; if an input failed it raises :class:`NebiusBatchError`
    (every other reply is in its ``outputs``), or with ``return_exceptions=True`` puts its
    :class:`NebiusBatchItemError` in its place.
    """

    @staticmethod
    def _core(chat: ChatNebius) -> tuple[type[BatchJob], Any]:
        return BatchJob, chat._get_client()

    def submit(self) -> Self:
        """Upload the files and create the batches not yet created; safe to call again."""
        with translate_errors():
            self._job.submit()
        return self

    def poll(self) -> BatchProgress:
        """Ask the API once about every unfinished batch."""
        with translate_errors():
            return self._job.poll()

    def cancel(self) -> BatchProgress:
        """Cancel the unfinished batches; ``wait()`` then says which inputs did not run."""
        with translate_errors():
            return self._job.cancel()

    def wait(
        self,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        progress_bar: bool = False,
        return_exceptions: bool = False,
    ) -> list[AIMessage]:
        """Submit if needed, poll until every batch is done, and return one ``AIMessage`` per
        input, in order (a finished job's results are downloaded once).

        After ``timeout`` seconds raises ``BatchNotFinishedError`` (the batches keep running;
        wait again or resume later). ``on_progress`` is called after each poll;
        ``progress_bar`` shows a bar (tqdm if installed, else a line on stderr).
        """
        with translate_errors():
            results = self._job.wait(
                timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
            )
        outputs = chat_outputs(self._chat, self._job.state, results)
        if self._reporter is not None:
            self._reporter.report(outputs)
        return _finish(outputs, results, return_exceptions)


class AsyncChatBatchJob(_ChatJob[AsyncBatchJob]):
    """The async twin of :class:`ChatBatchJob` (``sleep`` is awaited between polls)."""

    @staticmethod
    def _core(chat: ChatNebius) -> tuple[type[AsyncBatchJob], Any]:
        return AsyncBatchJob, chat._get_async_client()

    async def submit(self) -> Self:
        """Upload the files and create the batches not yet created; safe to call again."""
        with translate_errors():
            await self._job.submit()
        return self

    async def poll(self) -> BatchProgress:
        """Ask the API once about every unfinished batch."""
        with translate_errors():
            return await self._job.poll()

    async def cancel(self) -> BatchProgress:
        """Cancel the unfinished batches; ``wait()`` then says which inputs did not run."""
        with translate_errors():
            return await self._job.cancel()

    async def wait(
        self,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        progress_bar: bool = False,
        return_exceptions: bool = False,
    ) -> list[AIMessage]:
        """See :meth:`ChatBatchJob.wait`; async callback handlers are awaited."""
        with translate_errors():
            results = await self._job.wait(
                timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
            )
        outputs = chat_outputs(self._chat, self._job.state, results)
        if self._reporter is not None:
            await self._reporter.areport(outputs)
        return _finish(outputs, results, return_exceptions)


# ============================================================================================
# One call
# ============================================================================================


def batch_inference(
    model: Runnable[Any, Any],
    inputs: Sequence[LanguageModelInput],
    *,
    stop: list[str] | None = None,
    config: RunnableConfig | None = None,
    return_exceptions: bool = False,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[AIMessage]:
    """Run ``inputs`` through the Batch API and return one ``AIMessage`` per input, in order,
    as ``model.invoke(input)`` would return it.

    Args:
        model: a ``ChatNebius``, or what its ``bind_tools(...)``/``bind(...)`` returns.
        inputs: strings, message lists or ``PromptValue``\\ s.
        stop: stop sequences, as ``invoke(..., stop=...)``.
        config: as ``invoke``'s (``callbacks``, ``tags``, ``metadata``, ``run_name``): each
            input is reported to the callback handlers as a chat model run once the job is
            done, so tracing and usage handlers see batch calls too.
        return_exceptions: put a failed input's :class:`NebiusBatchItemError` in its place
            (as ``Runnable.batch(return_exceptions=True)`` does) instead of raising
            :class:`NebiusBatchError` once the job is done.
        timeout: seconds to wait; then ``BatchNotFinishedError`` (the job keeps running).
        on_progress: called with a ``BatchProgress`` after every poll.
        progress_bar: show progress (tqdm if installed, else a line on stderr).
        options: ``state_path`` (if the file exists, the job saved there is resumed: the same
            inputs are expected), ``poll_interval``, ``max_poll_interval``,
            ``max_requests_per_file``, ``max_bytes_per_file``, ``metadata``, ``custom_ids``,
            ``refuse_invalid``.

    For ``cancel()``, submitting now and waiting later, or your own ``sleep``, use
    :class:`ChatBatchJob`.
    """
    job = ChatBatchJob(model, inputs, stop=stop, config=config, **options)
    return job.wait(
        timeout=timeout,
        on_progress=on_progress,
        progress_bar=progress_bar,
        return_exceptions=return_exceptions,
    )


async def abatch_inference(
    model: Runnable[Any, Any],
    inputs: Sequence[LanguageModelInput],
    *,
    stop: list[str] | None = None,
    config: RunnableConfig | None = None,
    return_exceptions: bool = False,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[AIMessage]:
    """The async twin of :func:`batch_inference`."""
    job = AsyncChatBatchJob(model, inputs, stop=stop, config=config, **options)
    return await job.wait(
        timeout=timeout,
        on_progress=on_progress,
        progress_bar=progress_bar,
        return_exceptions=return_exceptions,
    )
