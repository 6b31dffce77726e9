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

from collections.abc import Iterator, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from langchain_core.exceptions import ModelError
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.utils.utils import LC_ID_PREFIX
from typing_extensions import Self, Unpack

from nebius_inference import InvalidRequestError
from nebius_inference.batch import (
    CHAT_ENDPOINT,
    EMBEDDINGS_ENDPOINT,
    AsyncBatchJob,
    BatchInputsFailedError,
    BatchItemError,
    BatchItemResult,
    BatchJob,
    BatchJobState,
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
from ._errors import translate_errors

if TYPE_CHECKING:
    import os

    from .chat_models import ChatNebius
    from .embeddings import NebiusEmbeddings

__all__ = [
    "AsyncChatBatchJob",
    "ChatBatchJob",
    "NebiusBatchError",
    "NebiusBatchItemError",
    "abatch_inference",
    "aembed_documents_batch",
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
# Errors
# ============================================================================================


class NebiusBatchItemError(BatchItemError, ModelError):
    """One input of a batch job has no result (it was invalid, the API rejected its line, its
    batch failed, expired or was cancelled, its output line was missing or unreadable...); a
    LangChain ``ModelError``.

    Attributes: ``reason``, ``index``, ``custom_id``, ``status_code``, ``batch_id``, as
    :class:`nebius_inference.batch.BatchItemError` documents them.
    """


class NebiusBatchError(BatchInputsFailedError, ModelError):
    """Some inputs of a batch job failed; raised once the whole job has finished; a LangChain
    ``ModelError``.

    Attributes: ``outputs`` (one entry per input, in order: its result or its
    :class:`NebiusBatchItemError`), ``errors`` (the distinct errors, in input order) and
    ``results`` (the core's ``BatchResults``), as
    :class:`nebius_inference.batch.BatchInputsFailedError` documents them.
    """


# ============================================================================================
# Results in: messages and vectors
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


def vectors_from_results(
    results: BatchResults, *, texts_per_request: int, total: int
) -> list[list[float]]:
    """The vectors of a finished embeddings job, one per text, in order; raises
    :class:`NebiusBatchError` (every text's vector or error in ``outputs``) if any failed."""
    outputs = results.text_vectors(
        texts_per_request=texts_per_request, total=total, error_class=NebiusBatchItemError
    )
    return NebiusBatchError.check(outputs, results)


# ============================================================================================
# Chat jobs
# ============================================================================================


class _ChatJob(Generic[J]):
    """What both chat job classes share: the core job, the chat model, the callback reporter."""

    _job: J
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

    @property
    def job(self) -> J:
        """The ``nebius_inference.batch`` job doing the work: ``job_id``, ``state_path``,
        ``batch_ids``, ``state``..."""
        return self._job

    @property
    def progress(self) -> BatchProgress:
        """Progress as of the last poll (no request is sent)."""
        return self._job.progress

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._chat.model_name!r}, {self._job!r})"


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


def embed_documents_batch(
    embeddings: NebiusEmbeddings,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """Embed ``texts`` through the Batch API; one vector per text, in order, the same vectors
    ``embeddings.embed_documents`` returns.

    ``texts_per_request`` texts go in each request line (one by default, so a failure costs
    one text). Raises :class:`NebiusBatchError` (the vectors that came back in its
    ``outputs``) if any request failed. The other arguments are :func:`batch_inference`'s.
    """
    if not texts:
        return []
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    with translate_errors():
        requests = embedding_batch_requests(embeddings, texts, texts_per_request=texts_per_request)
        job = BatchJob(embeddings._get_client(), requests, **options)
        results = job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))


async def aembed_documents_batch(
    embeddings: NebiusEmbeddings,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """The async twin of :func:`embed_documents_batch`."""
    if not texts:
        return []
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    with translate_errors():
        requests = embedding_batch_requests(embeddings, texts, texts_per_request=texts_per_request)
        job = AsyncBatchJob(embeddings._get_async_client(), requests, **options)
        results = await job.wait(
            timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
        )
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))


# ============================================================================================
# A corpus into a vector store, chunk by chunk
# ============================================================================================


def embedding_batch_job(
    embeddings: NebiusEmbeddings,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    **options: Unpack[BatchOptions],
) -> BatchJob:
    """An embeddings job for ``texts``, planned and not yet sent: ``submit()`` it now (with
    ``state_path`` to pick it up again later, even from another process), then feed a vector
    store from it with :func:`embedding_chunks`. The arguments are
    :func:`embed_documents_batch`'s."""
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    with translate_errors():
        requests = embedding_batch_requests(embeddings, texts, texts_per_request=texts_per_request)
        return BatchJob(embeddings._get_client(), requests, **options)


@overload
def embedding_chunks(
    source: BatchJob | BatchResults,
    texts: Sequence[str],
    *,
    texts_per_request: int = ...,
    chunk_size: int = ...,
    return_exceptions: Literal[False] = ...,
    timeout: float | None = ...,
    on_progress: ProgressCallback | None = ...,
    progress_bar: bool = ...,
) -> Iterator[list[tuple[str, list[float]]]]: ...
@overload
def embedding_chunks(
    source: BatchJob | BatchResults,
    texts: Sequence[str],
    *,
    texts_per_request: int = ...,
    chunk_size: int = ...,
    return_exceptions: Literal[True],
    timeout: float | None = ...,
    on_progress: ProgressCallback | None = ...,
    progress_bar: bool = ...,
) -> Iterator[list[tuple[str, list[float] | NebiusBatchItemError]]]: ...
def embedding_chunks(
    source: BatchJob | BatchResults,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    chunk_size: int = 1_000,
    return_exceptions: bool = False,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
) -> Iterator[list[tuple[str, Any]]]:
    """``(text, vector)`` pairs of an embeddings job, in input order, ``chunk_size`` texts at
    a time: the shape a vector store's ``add_embeddings(text_embeddings=...)`` takes. Only one
    chunk is in memory at a time; the job's results stay on disk.

    ``source`` is a job (from :func:`embedding_batch_job`, submitted or not, running or
    finished: it is waited for first, with ``timeout``, ``on_progress`` and ``progress_bar``
    as in :meth:`BatchJob.wait`) or the ``BatchResults`` of a finished one. ``texts`` and
    ``texts_per_request`` are those the job was made with. A text without a vector raises its
    :class:`NebiusBatchItemError` before its chunk is yielded (the chunks before it were
    yielded); with ``return_exceptions=True`` the error takes the vector's place instead.

    Example::

        job = embedding_batch_job(embeddings, texts, state_path="corpus.json").submit()
        for chunk in embedding_chunks(job, texts):
            store.add_embeddings(chunk)
    """
    with translate_errors():
        if chunk_size < 1:
            raise InvalidRequestError(f"chunk_size must be at least 1, got {chunk_size}.")
        results = source
        if isinstance(source, BatchJob):
            results = source.wait(
                timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
            )
        assert isinstance(results, BatchResults)
        results.check_text_count(len(texts), texts_per_request)
    start = 0
    chunks = results.text_vector_chunks(
        chunk_size,
        texts_per_request=texts_per_request,
        total=len(texts),
        error_class=NebiusBatchItemError,
    )
    with closing(chunks):  # stopped early: the results' reader closes here, not in the GC
        for vectors in chunks:
            if not return_exceptions:
                for vector in vectors:
                    if isinstance(vector, BatchItemError):
                        raise vector
            yield list(zip(texts[start : start + len(vectors)], vectors, strict=True))
            start += len(vectors)
