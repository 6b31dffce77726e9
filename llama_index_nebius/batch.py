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

from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from llama_index.core.base.llms.types import ChatResponse
from llama_index.core.schema import BaseNode, MetadataMode
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
    BatchOptions,
    BatchProgress,
    BatchResults,
    ProgressCallback,
)
from nebius_inference.types import ChatCompletion

from ._batch_convert import ChatCall, ChatInput, ChatRequests, embedding_batch_requests
from ._batch_events import report_batch_chats

if TYPE_CHECKING:
    import os

    from llama_index.core.tools.types import BaseTool

    from .embeddings import NebiusEmbedding
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
# Results in: responses and vectors
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


def vectors_from_results(
    results: BatchResults, *, texts_per_request: int, total: int
) -> list[list[float]]:
    """The vectors of a finished embeddings job, one per text, in order; raises
    :class:`NebiusBatchError` (every text's vector or error in ``outputs``) if any failed."""
    outputs = results.text_vectors(texts_per_request=texts_per_request, total=total)
    return NebiusBatchError.check(outputs, results)


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


class _ChatJob(Generic[J]):
    """What both chat job classes share: the core job, how requests are built and read back,
    and the calls to report."""

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


def batch_text_embeddings(
    embed_model: NebiusEmbedding,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
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
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    job = BatchJob(embed_model.client, requests, **options)
    results = job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))


async def abatch_text_embeddings(
    embed_model: NebiusEmbedding,
    texts: Sequence[str],
    *,
    texts_per_request: int = 1,
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
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    job = AsyncBatchJob(client, requests, **options)
    results = await job.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    return vectors_from_results(results, texts_per_request=texts_per_request, total=len(texts))


# ============================================================================================
# A corpus into a vector store, chunk by chunk
# ============================================================================================


def _texts(items: Sequence[str] | Sequence[BaseNode]) -> list[str]:
    """Texts as they are; nodes as a ``VectorStoreIndex`` embeds them (with their metadata
    for embedding, ``MetadataMode.EMBED``)."""
    return [
        item.get_content(metadata_mode=MetadataMode.EMBED) if isinstance(item, BaseNode) else item
        for item in items
    ]


def embedding_batch_job(
    embed_model: NebiusEmbedding,
    items: Sequence[str] | Sequence[BaseNode],
    *,
    texts_per_request: int = 1,
    **options: Unpack[BatchOptions],
) -> BatchJob:
    """An embeddings job for ``items`` (texts, or nodes embedded as a ``VectorStoreIndex``
    embeds them), planned and not yet sent: ``submit()`` it now (with ``state_path`` to pick it
    up again later, even from another process), then feed a vector store from it with
    :func:`embedded_node_chunks`. The arguments are :func:`batch_text_embeddings`'s."""
    requests = embedding_batch_requests(
        embed_model, _texts(items), texts_per_request=texts_per_request
    )
    options["endpoint"] = EMBEDDINGS_ENDPOINT
    return BatchJob(embed_model.client, requests, **options)


@overload
def embedded_node_chunks(
    source: BatchJob | BatchResults,
    nodes: Sequence[BaseNode],
    *,
    texts_per_request: int = ...,
    chunk_size: int = ...,
    return_exceptions: Literal[False] = ...,
    timeout: float | None = ...,
    on_progress: ProgressCallback | None = ...,
    progress_bar: bool = ...,
) -> Iterator[list[BaseNode]]: ...
@overload
def embedded_node_chunks(
    source: BatchJob | BatchResults,
    nodes: Sequence[BaseNode],
    *,
    texts_per_request: int = ...,
    chunk_size: int = ...,
    return_exceptions: Literal[True],
    timeout: float | None = ...,
    on_progress: ProgressCallback | None = ...,
    progress_bar: bool = ...,
) -> Iterator[list[BaseNode | NebiusBatchItemError]]: ...
def embedded_node_chunks(
    source: BatchJob | BatchResults,
    nodes: Sequence[BaseNode],
    *,
    texts_per_request: int = 1,
    chunk_size: int = 1_000,
    return_exceptions: bool = False,
    timeout: float | None = None,
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
) -> Iterator[list[Any]]:
    """``nodes`` with their vectors, in input order, ``chunk_size`` at a time: each a copy of
    its node with ``embedding`` set, ready for a vector store's ``add(nodes)``. Only one chunk
    is in memory at a time; the job's results stay on disk.

    ``source`` is a job (from :func:`embedding_batch_job` over these nodes, submitted or not,
    running or finished: it is waited for first, with ``timeout``, ``on_progress`` and
    ``progress_bar`` as in :meth:`BatchJob.wait`) or the ``BatchResults`` of a finished one;
    ``texts_per_request`` is the job's. A node without a vector raises its
    :class:`NebiusBatchItemError` before its chunk is yielded (the chunks before it were
    yielded); with ``return_exceptions=True`` the error takes the node's place instead.

    Example::

        job = embedding_batch_job(embed_model, nodes, state_path="corpus.json").submit()
        for chunk in embedded_node_chunks(job, nodes):
            vector_store.add(chunk)
    """
    if chunk_size < 1:
        raise InvalidRequestError(f"chunk_size must be at least 1, got {chunk_size}.")
    results = source
    if isinstance(source, BatchJob):
        results = source.wait(timeout=timeout, on_progress=on_progress, progress_bar=progress_bar)
    assert isinstance(results, BatchResults)
    results.check_text_count(len(nodes), texts_per_request)
    start = 0
    chunks = results.text_vector_chunks(
        chunk_size, texts_per_request=texts_per_request, total=len(nodes)
    )
    with closing(chunks):  # stopped early: the results' reader closes here, not in the GC
        for vectors in chunks:
            chunk: list[BaseNode | BatchItemError] = []
            for node, vector in zip(nodes[start : start + len(vectors)], vectors, strict=True):
                if isinstance(vector, BatchItemError):
                    if not return_exceptions:
                        raise vector
                    chunk.append(vector)
                    continue
                embedded = node.model_copy()
                embedded.embedding = vector
                chunk.append(embedded)
            yield chunk
            start += len(vectors)
