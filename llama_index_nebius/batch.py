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

    llm = NebiusLLM(model="meta-llama/Llama-3.3-70B-Instruct", max_tokens=64)
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
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

from ._convert import chat_response_from_completion, merge_body
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

T = TypeVar("T")
J = TypeVar("J", BatchJob, AsyncBatchJob)
StatePath = str | os.PathLike[str]
ChatInput = Sequence[ChatMessage] | str
"""A chat: its messages, or a prompt string (one user message)."""


# ============================================================================================
# Errors
# ============================================================================================


class NebiusBatchItemError(NebiusError):
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


class NebiusBatchError(NebiusError):
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
# Pure pieces: requests out, responses in
# ============================================================================================


@dataclass(frozen=True)
class ChatRequests:
    """How a batch of chats is sent and read back: the LLM, its per-call ``llm_kwargs``
    (as ``llm.chat(messages, **llm_kwargs)``), and tools as ``chat_with_tools`` takes them.

    :meth:`bodies` and :meth:`response` are pure (no I/O).
    """

    llm: NebiusLLM
    llm_kwargs: Mapping[str, Any] = field(default_factory=dict)
    tools: Sequence[BaseTool] | None = None
    tool_required: bool = False
    allow_parallel_tool_calls: bool = False

    def bodies(self, inputs: Sequence[ChatInput]) -> list[dict[str, Any]]:
        """The chat completions body of every input, as ``llm.chat`` (or
        ``llm.chat_with_tools``) would send it."""
        if isinstance(inputs, str):
            raise TypeError("Pass a list of chats; wrap a single chat in a list.")
        bodies = []
        for item in inputs:
            messages = _messages(item)
            kwargs = dict(self.llm_kwargs)
            if self.tools:
                kwargs = self.llm._prepare_chat_with_tools(
                    self.tools, chat_history=messages, tool_required=self.tool_required, **kwargs
                )
                messages = kwargs.pop("messages")
            bodies.append(self.llm._build_chat_body(messages, **kwargs))
        return bodies

    def response(self, completion: ChatCompletion) -> ChatResponse:
        """The ``ChatResponse`` ``llm.chat`` (or ``chat_with_tools``) returns for
        ``completion``."""
        response = chat_response_from_completion(completion)
        if self.tools:
            response = self.llm._validate_chat_with_tools_response(
                response, self.tools, allow_parallel_tool_calls=self.allow_parallel_tool_calls
            )
        return response


def _messages(item: ChatInput) -> list[ChatMessage]:
    if isinstance(item, str):
        return [ChatMessage(role=MessageRole.USER, content=item)]
    messages = list(item)
    for message in messages:
        if not isinstance(message, ChatMessage):
            raise TypeError(
                f"A chat is a list of ChatMessage or a prompt string, not a list holding "
                f"{type(message).__name__}."
            )
    return messages


def embedding_batch_requests(
    embed_model: NebiusEmbedding, texts: Sequence[str], *, texts_per_request: int = 1
) -> list[dict[str, Any]]:
    """The embeddings body of every request (``texts_per_request`` texts each), as the model
    sends them for documents: ``text_instruction`` prefix, ``dimensions``,
    ``additional_kwargs``. Pure."""
    params = merge_body({"dimensions": embed_model.dimensions}, embed_model.additional_kwargs)
    prefix = embed_model.text_instruction
    items = [f"{prefix}{text}" for text in texts] if prefix else texts
    return embedding_requests(
        items, model=embed_model.model_name, texts_per_request=texts_per_request, **params
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


def chat_outputs(
    requests: ChatRequests, results: BatchResults
) -> list[ChatResponse | NebiusBatchItemError]:
    """One ``ChatResponse`` or error per input of a finished chat job."""
    outputs: list[ChatResponse | NebiusBatchItemError] = []
    for item in results:
        if not item.ok or not isinstance(item.response, ChatCompletion):
            outputs.append(_item_error(item))
            continue
        try:
            outputs.append(requests.response(item.response))
        except (NebiusError, ValueError, TypeError) as exc:
            outputs.append(_item_error(item, f"its reply could not be read: {exc}"))
    return outputs


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
            else ("an embeddings", "batch_text_embeddings")
        )
        raise BatchStateError(f"Batch job {state.job_id} is {kind} job; resume it with {use}().")


def _embedding_job(
    core: type[J],
    client: Any,
    embed_model: NebiusEmbedding,
    texts: Sequence[str],
    texts_per_request: int,
    resume: bool,
    options: BatchOptions,
) -> J:
    """A new embeddings job, or the one saved at ``state_path`` (see ``resume``)."""
    requests = embedding_batch_requests(embed_model, texts, texts_per_request=texts_per_request)
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

    _requests: ChatRequests
    _job: J

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
        bodies = spec.bodies(inputs)
        options["endpoint"] = CHAT_ENDPOINT
        core, client = self._core(llm)
        self._requests, self._job = spec, core(client, bodies, sleep=sleep, **options)

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
        _check_endpoint(state_path, CHAT_ENDPOINT)
        spec = ChatRequests(
            llm, dict(llm_kwargs or {}), tools, tool_required, allow_parallel_tool_calls
        )
        bodies = None if inputs is None else spec.bodies(inputs)
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
        wrapper._requests, wrapper._job = spec, job
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
        path = _resume_from(options, resume)
        if path is not None:
            poll, most = _polls(options)
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
        return f"{type(self).__name__}({self._requests.llm.model!r}, {self._job!r})"

    def _outputs(self, results: BatchResults, return_exceptions: bool) -> list[ChatResponse]:
        """With ``return_exceptions`` a slot may hold a :class:`NebiusBatchItemError`."""
        outputs = chat_outputs(self._requests, results)
        if return_exceptions:
            return cast("list[ChatResponse]", outputs)
        return _all_or_raise(outputs, results)


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
            step, for :meth:`resume`), ``poll_interval``, ``max_poll_interval``,
            ``max_requests_per_file``, ``max_bytes_per_file``, ``metadata``, ``custom_ids``.

    Construction builds and checks every request; it sends nothing.
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
        per input, in order.

        If an input failed: raises :class:`NebiusBatchError` (every other response is in its
        ``outputs``), or with ``return_exceptions=True`` puts its
        :class:`NebiusBatchItemError` in its place. After ``timeout`` seconds raises
        ``BatchNotFinishedError`` (the batches keep running; wait again or resume later).
        ``on_progress`` is called after each poll; ``progress_bar`` shows a bar (tqdm if
        installed, else a line on stderr).
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
    job = _embedding_job(
        BatchJob, embed_model.client, embed_model, texts, texts_per_request, resume, options
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
    job = _embedding_job(
        AsyncBatchJob, client, embed_model, texts, texts_per_request, resume, options
    )
    results = await job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))
