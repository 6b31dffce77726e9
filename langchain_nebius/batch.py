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

    llm = ChatNebius(model="meta-llama/Llama-3.3-70B-Instruct", max_tokens=64)
    replies = batch_inference(llm, ["What is 2+2?", "Name a prime."], progress_bar=True)
    tools = batch_inference(llm.bind_tools([get_weather], tool_choice="get_weather"), prompts)

``state_path="job.json"`` keeps the job's state in a file: calling again with the same path
(even from another process) picks the saved job up instead of submitting it again. For
finer control (submit now, ``cancel()``, wait later) use :class:`ChatBatchJob`.
:class:`AsyncChatBatchJob`, :func:`abatch_inference` and :func:`aembed_documents_batch` are
the async twins. ``ChatNebius.batch_inference`` and ``NebiusEmbeddings.embed_documents_batch``
are shortcuts to the functions here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from langchain_core.exceptions import ModelError
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableBinding
from langchain_core.utils.utils import LC_ID_PREFIX
from typing_extensions import Self, Unpack

from nebius_inference import NebiusError
from nebius_inference.batch import (
    CHAT_ENDPOINT,
    EMBEDDINGS_ENDPOINT,
    AsyncBatchJob,
    BatchItemResult,
    BatchJob,
    BatchJobState,
    BatchOptions,
    BatchProgress,
    BatchResults,
    BatchStateError,
    ProgressCallback,
    embedding_requests,
)
from nebius_inference.types import ChatCompletion, CreateEmbeddingResponse

from ._convert import chat_result_from_completion
from ._errors import NebiusResponseValidationError, translate_errors
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
    "embedding_batch_requests",
    "message_from_batch_completion",
    "resolve_chat_model",
    "vectors_from_results",
]

T = TypeVar("T")
J = TypeVar("J", BatchJob, AsyncBatchJob)
StatePath = str | os.PathLike[str]


# ============================================================================================
# Errors
# ============================================================================================


class NebiusBatchItemError(NebiusError, ModelError):
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


class NebiusBatchError(NebiusError, ModelError):
    """Some inputs of a batch job failed; raised once the whole job has finished.

    Attributes:
        outputs: one entry per input, in order: its result, or its
            :class:`NebiusBatchItemError`. The successful results are all here.
        errors: the distinct errors, in input order.
        results: the core's :class:`~nebius_inference.batch.BatchResults` (raw replies,
            batch ids, notes), when there is one.
    """

    def __init__(self, outputs: Sequence[Any], results: BatchResults | None = None) -> None:
        self.outputs = list(outputs)
        self.results = results
        failed = [o for o in self.outputs if isinstance(o, NebiusBatchItemError)]
        self.errors: list[NebiusBatchItemError] = list(dict.fromkeys(failed))
        shown = "; ".join(f"[{e.index}] {e.reason}" for e in self.errors[:3])
        more = f"; and {len(self.errors) - 3} more" if len(self.errors) > 3 else ""
        super().__init__(
            f"{len(failed)} of {len(self.outputs)} batch inputs failed: {shown}{more}. "
            "The successful results are in .outputs."
        )


# ============================================================================================
# Pure pieces: requests out, messages in
# ============================================================================================


def resolve_chat_model(model: Runnable[Any, Any]) -> tuple[ChatNebius, dict[str, Any]]:
    """The ``ChatNebius`` behind ``model`` and its bound keyword arguments.

    ``model`` is a ``ChatNebius`` or what ``bind_tools(...)``, ``bind(...)`` or
    ``with_config(...)`` returns (nested bindings merge, the outer one wins).
    """
    kwargs: dict[str, Any] = {}
    runnable: Any = model
    while isinstance(runnable, RunnableBinding):
        kwargs = {**runnable.kwargs, **kwargs}
        runnable = runnable.bound
    if not isinstance(runnable, ChatNebius):
        raise TypeError(
            f"Batch inference needs a ChatNebius or what its bind_tools()/bind() returns, not "
            f"{type(model).__name__}. For structured output, batch the model with "
            "bind(response_format=..., guided_json=...) and parse the replies yourself."
        )
    return runnable, kwargs


def chat_batch_requests(
    model: Runnable[Any, Any],
    inputs: Sequence[LanguageModelInput],
    *,
    stop: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The chat completions body of every input, as ``model.invoke(input, stop=stop)`` would
    send it (model parameters, bound tools and keyword arguments, ``extra_body``). Pure."""
    if isinstance(inputs, str):
        raise TypeError("Pass a list of inputs; wrap a single input in a list.")
    chat, kwargs = resolve_chat_model(model)
    if stop is not None:
        kwargs["stop"] = stop
    call_stop = kwargs.pop("stop", None)
    return [
        chat._build_request_body(chat._convert_input(item).to_messages(), stop=call_stop, **kwargs)
        for item in inputs
    ]


def message_from_batch_completion(
    chat: ChatNebius, completion: ChatCompletion, *, model: str, message_id: str | None = None
) -> AIMessage:
    """The ``AIMessage`` that ``chat.invoke`` returns for ``completion``: the chat model's own
    conversion, then what ``invoke`` adds (generation info and ``llm_output`` merged into
    ``response_metadata``, ``output_version="v1"`` content blocks, the message id).

    ``model`` is the requested model, used when the reply names none. Pure.
    """
    if not completion.choices:
        raise NebiusResponseValidationError(
            "The API answered without any choices; retry, or report it if it persists.",
            body=completion.model_dump(),
        )
    result = chat_result_from_completion(completion, model=model)
    generation = result.generations[0]
    message = cast("AIMessage", generation.message)
    if chat.output_version == "v1":
        metadata = {**message.response_metadata, "output_version": "v1"}
        message = message.model_copy(
            update={"content": message.content_blocks, "response_metadata": metadata}
        )
    metadata = {**(generation.generation_info or {}), **message.response_metadata}
    if len(result.generations) == 1 and result.llm_output is not None:
        metadata = {**result.llm_output, **metadata}
    message.response_metadata = metadata
    if message.id is None and message_id is not None:
        message.id = message_id
    return message


def embedding_batch_requests(
    embeddings: NebiusEmbeddings, texts: Sequence[str], *, texts_per_request: int = 1
) -> list[dict[str, Any]]:
    """The embeddings body of every request (``texts_per_request`` texts each) with the
    model's ``model``, ``dimensions`` and ``model_kwargs``. Pure."""
    params = dict(embeddings.model_kwargs)
    if embeddings.dimensions is not None:
        params["dimensions"] = embeddings.dimensions
    return embedding_requests(
        texts, model=embeddings.model, texts_per_request=texts_per_request, **params
    )


def _item_error(item: BatchItemResult, reason: str | None = None) -> NebiusBatchItemError:
    """The error for a result without a usable response."""
    return NebiusBatchItemError(
        reason or item.error or "no response",
        index=item.index,
        custom_id=item.custom_id,
        status_code=item.status_code,
        batch_id=item.batch_id,
    )


def _convert_items(
    results: BatchResults, convert: Callable[[BatchItemResult], T]
) -> list[T | NebiusBatchItemError]:
    """``convert`` every successful item; a failed item, or one ``convert`` cannot read,
    becomes its :class:`NebiusBatchItemError`."""
    outputs: list[T | NebiusBatchItemError] = []
    for item in results:
        if not item.ok:
            outputs.append(_item_error(item))
            continue
        try:
            outputs.append(convert(item))
        except (NebiusError, ValueError, TypeError) as exc:
            outputs.append(_item_error(item, f"its reply could not be read: {exc}"))
    return outputs


def chat_outputs(
    chat: ChatNebius, state: BatchJobState, results: BatchResults
) -> list[AIMessage | NebiusBatchItemError]:
    """One ``AIMessage`` or error per input of a finished chat job."""
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

    return _convert_items(results, convert)


def vectors_from_results(
    results: BatchResults, *, texts_per_request: int, total: int
) -> list[list[float]]:
    """The vectors of a finished embeddings job, one per text, in order; raises
    :class:`NebiusBatchError` (every text's vector or error in ``outputs``) if any failed."""
    outputs: list[list[float] | NebiusBatchItemError] = []
    for item in results:
        expected = min(texts_per_request, total - item.index * texts_per_request)
        vectors: list[list[float]] | NebiusBatchItemError
        if not item.ok or not isinstance(item.response, CreateEmbeddingResponse):
            vectors = _item_error(item)
        else:
            vectors = item.response.vectors()
            if len(vectors) != expected:
                reason = f"the reply has {len(vectors)} vectors for {expected} texts"
                vectors = _item_error(item, reason)
        if isinstance(vectors, NebiusBatchItemError):
            outputs.extend([vectors] * expected)
        else:
            outputs.extend(vectors)
    return _all_or_raise(outputs, results)


def _all_or_raise(outputs: list[T | NebiusBatchItemError], results: BatchResults) -> list[T]:
    if any(isinstance(o, NebiusBatchItemError) for o in outputs):
        raise NebiusBatchError(outputs, results)
    return cast("list[T]", outputs)


def _resume_from(options: BatchOptions, resume: bool) -> StatePath | None:
    path = options.get("state_path")
    return path if resume and path is not None and Path(path).exists() else None


def _polls(options: BatchOptions) -> tuple[float, float]:
    """The poll intervals of a new job, which a resumed one takes too."""
    return options.get("poll_interval", 5.0), options.get("max_poll_interval", 60.0)


def _check_endpoint(path: StatePath, endpoint: str) -> None:
    """Refuse a state file of the other endpoint's job, before its requests are rebuilt."""
    state = BatchJobState.load(path)
    if state.endpoint != endpoint:
        kind, use = (
            ("a chat", "batch_inference")
            if state.endpoint == CHAT_ENDPOINT
            else ("an embeddings", "embed_documents_batch")
        )
        raise BatchStateError(f"Batch job {state.job_id} is {kind} job; resume it with {use}().")


def _embedding_job(
    core: type[J],
    client: Any,
    embeddings: NebiusEmbeddings,
    texts: Sequence[str],
    texts_per_request: int,
    resume: bool,
    options: BatchOptions,
) -> J:
    """A new embeddings job, or the one saved at ``state_path`` (see ``resume``)."""
    requests = embedding_batch_requests(embeddings, texts, texts_per_request=texts_per_request)
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    path = _resume_from(options, resume)
    if path is None:
        return core(client, requests, **options)
    _check_endpoint(path, EMBEDDINGS_ENDPOINT)
    poll, most = _polls(options)
    return core.resume(client, path, requests=requests, poll_interval=poll, max_poll_interval=most)


# ============================================================================================
# Chat jobs
# ============================================================================================


class _ChatJob(Generic[J]):
    """What both chat job classes share: planning, resuming, the conversion."""

    _chat: ChatNebius
    _job: J

    def __init__(
        self,
        model: Runnable[Any, Any],
        inputs: Sequence[LanguageModelInput],
        *,
        stop: list[str] | None = None,
        sleep: Any = None,
        **options: Unpack[BatchOptions],
    ) -> None:
        chat, _ = resolve_chat_model(model)
        requests = chat_batch_requests(model, inputs, stop=stop)
        options["endpoint"] = CHAT_ENDPOINT
        core, client = self._core(chat)
        with translate_errors():
            job = core(client, requests, sleep=sleep, **options)
        self._chat, self._job = chat, job

    @classmethod
    def resume(
        cls,
        model: Runnable[Any, Any],
        state_path: StatePath,
        *,
        inputs: Sequence[LanguageModelInput] | None = None,
        stop: list[str] | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        sleep: Any = None,
    ) -> Self:
        """Pick a saved job up; nothing already uploaded or created is sent again.

        ``inputs`` (the same, in the same order) are needed only if the job stopped before
        every file was uploaded; when given, they are checked against the saved job.
        """
        chat, _ = resolve_chat_model(model)
        _check_endpoint(state_path, CHAT_ENDPOINT)
        requests = None if inputs is None else chat_batch_requests(model, inputs, stop=stop)
        core, client = cls._core(chat)
        with translate_errors():
            job = core.resume(
                client,
                state_path,
                requests=requests,
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
                sleep=sleep,
            )
        wrapper = cls.__new__(cls)
        wrapper._chat, wrapper._job = chat, job
        return wrapper

    @classmethod
    def open(
        cls,
        model: Runnable[Any, Any],
        inputs: Sequence[LanguageModelInput],
        *,
        stop: list[str] | None = None,
        resume: bool = True,
        sleep: Any = None,
        **options: Unpack[BatchOptions],
    ) -> Self:
        """A new job; or, if ``resume`` and ``state_path`` names an existing state file, the
        job saved there (``inputs`` must be the same; the saved job's file limits apply)."""
        path = _resume_from(options, resume)
        if path is not None:
            poll, most = _polls(options)
            return cls.resume(
                model,
                path,
                inputs=inputs,
                stop=stop,
                sleep=sleep,
                poll_interval=poll,
                max_poll_interval=most,
            )
        return cls(model, inputs, stop=stop, sleep=sleep, **options)

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

    def _outputs(self, results: BatchResults, return_exceptions: bool) -> list[AIMessage]:
        """Typed as ``Runnable.batch`` is: with ``return_exceptions`` a slot may hold an error."""
        outputs = chat_outputs(self._chat, self._job.state, results)
        if return_exceptions:
            return cast("list[AIMessage]", outputs)
        return _all_or_raise(outputs, results)


class ChatBatchJob(_ChatJob[BatchJob]):
    """A batch job of ``ChatNebius`` inputs: ``submit()``, ``wait()``, ``cancel()``.

    Args:
        model: a ``ChatNebius``, or what its ``bind_tools(...)``/``bind(...)`` returns.
        inputs: what ``invoke`` accepts, one per request.
        stop: stop sequences, as ``invoke(..., stop=...)``.
        sleep: how to wait between polls (default ``time.sleep``).
        options: the core job's options: ``state_path`` (a JSON file rewritten at every
            step, for :meth:`resume`), ``poll_interval``, ``max_poll_interval``,
            ``max_requests_per_file``, ``max_bytes_per_file``, ``metadata``, ``custom_ids``.

    Construction builds and checks every request; it sends nothing.
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

        If an input failed: raises :class:`NebiusBatchError` (every other reply is in its
        ``outputs``), or with ``return_exceptions=True`` puts its
        :class:`NebiusBatchItemError` in its place. After ``timeout`` seconds raises
        ``BatchNotFinishedError`` (the batches keep running; wait again or resume later).
        ``on_progress`` is called after each poll; ``progress_bar`` shows a bar (tqdm if
        installed, else a line on stderr).
        """
        with translate_errors():
            results = self._job.wait(
                timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
            )
        return self._outputs(results, return_exceptions)


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
        """See :meth:`ChatBatchJob.wait`."""
        with translate_errors():
            results = await self._job.wait(
                timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
            )
        return self._outputs(results, return_exceptions)


# ============================================================================================
# One call
# ============================================================================================


def batch_inference(
    model: Runnable[Any, Any],
    inputs: Sequence[LanguageModelInput],
    *,
    stop: list[str] | None = None,
    return_exceptions: bool = False,
    resume: bool = True,
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
        return_exceptions: put a failed input's :class:`NebiusBatchItemError` in its place
            (as ``Runnable.batch(return_exceptions=True)`` does) instead of raising
            :class:`NebiusBatchError` once the job is done.
        resume: if ``state_path`` names an existing state file, pick that job up (the same
            inputs are expected) instead of submitting a new one; ``False`` overwrites it.
        timeout: seconds to wait; then ``BatchNotFinishedError`` (the job keeps running).
        on_progress: called with a ``BatchProgress`` after every poll.
        progress_bar: show progress (tqdm if installed, else a line on stderr).
        options: ``state_path``, ``poll_interval``, ``max_poll_interval``,
            ``max_requests_per_file``, ``max_bytes_per_file``, ``metadata``, ``custom_ids``.

    For ``cancel()``, submitting now and waiting later, or your own ``sleep``, use
    :class:`ChatBatchJob`.
    """
    job = ChatBatchJob.open(model, inputs, stop=stop, resume=resume, **options)
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
    return_exceptions: bool = False,
    resume: bool = True,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[AIMessage]:
    """The async twin of :func:`batch_inference`."""
    job = AsyncChatBatchJob.open(model, inputs, stop=stop, resume=resume, **options)
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
    resume: bool = True,
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
    with translate_errors():
        client = embeddings._get_client()
        job = _embedding_job(
            BatchJob, client, embeddings, texts, texts_per_request, resume, options
        )
        results = job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))


async def aembed_documents_batch(
    embeddings: NebiusEmbeddings,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
    resume: bool = True,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    **options: Unpack[BatchOptions],
) -> list[list[float]]:
    """The async twin of :func:`embed_documents_batch`."""
    if not texts:
        return []
    with translate_errors():
        client = embeddings._get_async_client()
        job = _embedding_job(
            AsyncBatchJob, client, embeddings, texts, texts_per_request, resume, options
        )
        results = await job.wait(
            timeout=timeout, on_progress=on_progress, progress_bar=progress_bar
        )
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))
