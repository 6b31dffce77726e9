"""``NebiusLLM``: a LlamaIndex ``FunctionCallingLLM`` over the Nebius chat completions API."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.constants import DEFAULT_NUM_OUTPUTS
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from typing_extensions import Self, override

from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.catalog import (
    DEFAULT_CHAT_MODEL,
    ModelFacts,
    amodel_catalog,
    context_window,
    lookup,
    model_catalog,
)

from ._common import NebiusConnection
from ._convert import (
    CALL_OPTIONS,
    chat_response_from_completion,
    merge_body,
    resolve_tool_choice,
    to_nebius_messages,
    tool_selections,
    usage_kwargs,
)
from ._stream import StreamAccumulator
from ._structured import NoToolCallError, StructuredOutput, StructuredOutputError

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = ["DEFAULT_MODEL", "NebiusLLM", "StructuredOutputError"]

DEFAULT_MODEL = DEFAULT_CHAT_MODEL
_HOW_TO_SET = "NebiusLLM(context_window=...) or NebiusLLM(fetch_metadata=True)"

logger = logging.getLogger(__name__)

# Keyword arguments LlamaIndex passes around that are not request fields.
_FRAMEWORK_KWARGS = frozenset(
    {
        "verbose",
        "allow_parallel_tool_calls",
        "tool_required",
        "error_on_no_tool_call",
        "error_on_tool_error",
        "formatted",
        "use_chat_completions",
        "strict",
        "stream",
    }
)


class NebiusLLM(NebiusConnection, StructuredOutput, FunctionCallingLLM):
    """Nebius AI Studio / Token Factory chat models for LlamaIndex.

    >>> from llama_index_nebius import NebiusLLM
    >>> llm = NebiusLLM(model="Qwen/Qwen3-235B-A22B-Instruct-2507")  # reads NEBIUS_API_KEY
    >>> llm.complete("Say hi").text

    Works with agents (``FunctionAgent``, ``AgentWorkflow``), structured output
    (``structured_predict`` and ``as_structured_llm``, the schema sent as ``guided_json`` and as
    a ``json_schema`` response format), images (``ImageBlock`` in chat messages) and reasoning
    models (``ThinkingBlock``). Token usage is in ``response.additional_kwargs`` and
    ``response.raw.usage``, streams included.

    ``metadata`` comes from the core's model table (``nebius_inference.catalog``);
    ``fetch_metadata=True`` (or :meth:`from_model_listing`) reads the verbose model listing
    instead (once per client), and explicit ``context_window`` / ``is_function_calling_model``
    win over both. A model neither knows gets a 3,900-token window and one warning. Per-call keyword
    arguments win over ``additional_kwargs``, which win over the fields; unknown ones
    (``top_k``, ``guided_regex``, ``chat_template_kwargs``...) are sent as they are.
    """

    model: str = Field(default=DEFAULT_MODEL, description="The model id (case-sensitive).")
    temperature: float | None = Field(
        default=None, ge=0, le=2, description="Sampling temperature (server default if unset)."
    )
    max_tokens: int | None = Field(
        default=None, ge=1, description="Most tokens to generate (server default if unset)."
    )
    reasoning_effort: str | None = Field(
        default=None, description="For reasoning models: low, medium or high."
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Other request fields sent with every call (top_p, top_k, guided_*, ...).",
    )
    context_window: int | None = Field(
        default=None, gt=0, description="Override the context window from the model table."
    )
    is_function_calling_model: bool | None = Field(
        default=None, description="Override whether the model supports tool calling."
    )
    is_chat_model: bool = Field(default=True, description="Nebius models are chat models.")
    fetch_metadata: bool = Field(
        default=False,
        description="Read context length and features from the verbose model listing when "
        "the LLM is built (one GET /v1/models?verbose=true).",
    )

    _facts: ModelFacts | None = PrivateAttr(default=None)

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        client: NebiusClient | None = None,
        async_client: AsyncNebiusClient | None = None,
        http_client: Any = None,
        async_http_client: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model=model, **kwargs)
        self._setup_clients(client, async_client, http_client, async_http_client)
        if self.fetch_metadata:
            self.refresh_metadata(refresh=False)

    @classmethod
    @override
    def class_name(cls) -> str:
        return "NebiusLLM"

    # -- metadata ------------------------------------------------------------------------------

    @classmethod
    def from_model_listing(cls, model: str = DEFAULT_MODEL, **kwargs: Any) -> Self:
        """Build the LLM with metadata read from the verbose model listing."""
        return cls(model=model, fetch_metadata=True, **kwargs)

    def refresh_metadata(self, *, refresh: bool = True) -> ModelFacts | None:
        """Read this model's facts from the verbose listing (``refresh=False``: the client's
        cached listing when there is one); ``None`` if it is not listed."""
        return self._set_facts(model_catalog(self.client, refresh=refresh).facts(self.model))

    async def arefresh_metadata(self, *, refresh: bool = True) -> ModelFacts | None:
        """Async twin of :meth:`refresh_metadata`."""
        catalog = await amodel_catalog(self.async_client, refresh=refresh)
        return self._set_facts(catalog.facts(self.model))

    def _set_facts(self, facts: ModelFacts | None) -> ModelFacts | None:
        if facts is None or facts.source != "listing":
            logger.warning(
                "Model %r is not in the model listing; using the built-in metadata.", self.model
            )
            return None
        self._facts = facts
        return facts

    @property
    @override
    def metadata(self) -> LLMMetadata:
        facts = self._facts or lookup(self.model)
        calling = self.is_function_calling_model
        if calling is None:
            calling = facts.tools if facts is not None else True
        return LLMMetadata(
            context_window=context_window(
                self.model, facts, explicit=self.context_window, how_to_set=_HOW_TO_SET
            ),
            num_output=self.max_tokens if self.max_tokens is not None else DEFAULT_NUM_OUTPUTS,
            is_chat_model=self.is_chat_model,
            is_function_calling_model=calling,
            model_name=self.model,
            system_role=MessageRole.SYSTEM,
        )

    # -- requests ------------------------------------------------------------------------------

    def _build_chat_body(
        self, messages: Sequence[ChatMessage], *, stream: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        """The JSON body of a chat completion, without sending it (reused by batch jobs).

        Fields, then ``additional_kwargs``, then ``kwargs``: later wins, ``None`` unsets, and
        each layer's ``extra_body`` is merged into it. Per-call options (``extra_headers``,
        ``extra_query``, ``timeout``) are not part of the body.
        """
        defaults = {
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "reasoning_effort": self.reasoning_effort,
        }
        call = {
            k: v for k, v in kwargs.items() if k not in CALL_OPTIONS and k not in _FRAMEWORK_KWARGS
        }
        body = merge_body(defaults, self.additional_kwargs, call)
        if not stream:
            body.pop("stream_options", None)
        body["messages"] = to_nebius_messages(messages)
        return body

    def _request(
        self, messages: Sequence[ChatMessage], stream: bool, kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        options = {k: kwargs[k] for k in CALL_OPTIONS if kwargs.get(k) is not None}
        return self._build_chat_body(messages, stream=stream, **kwargs), options

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        body, options = self._request(messages, False, kwargs)
        return chat_response_from_completion(self.client.create_chat_completion(body, **options))

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        body, options = self._request(messages, False, kwargs)
        reply = await self.async_client.create_chat_completion(body, **options)
        return chat_response_from_completion(reply)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        body, options = self._request(messages, True, kwargs)
        client = self.client

        def gen() -> ChatResponseGen:
            acc = StreamAccumulator()
            with client.stream_chat_completion(body, **options) as stream:
                for chunk in stream:
                    yield acc.feed(chunk)
            if acc.tools and not acc.finished:
                yield _final(acc)

        return gen()

    def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        body, options = self._request(messages, True, kwargs)
        aclient = self.async_client

        async def gen() -> ChatResponseAsyncGen:
            acc = StreamAccumulator()
            stream = await aclient.stream_chat_completion(body, **options)
            async with stream:
                async for chunk in stream:
                    yield acc.feed(chunk)
            if acc.tools and not acc.finished:
                yield _final(acc)

        return gen()

    # -- LlamaIndex endpoints ------------------------------------------------------------------

    @override
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @override
    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @override
    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @override
    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return self._astream_chat(messages, **kwargs)

    @override
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return _to_completion(self._chat([_user(prompt)], **kwargs))

    @override
    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return _to_completion(await self._achat([_user(prompt)], **kwargs))

    @override
    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        chats = self._stream_chat([_user(prompt)], **kwargs)

        def gen() -> CompletionResponseGen:
            try:
                for response in chats:
                    yield _to_completion(response)
            finally:
                chats.close()  # left early: free the connection now, not when chats is collected

        return gen()

    @override
    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        chats = self._astream_chat([_user(prompt)], **kwargs)

        async def gen() -> CompletionResponseAsyncGen:
            try:
                async for response in chats:
                    yield _to_completion(response)
            finally:
                await chats.aclose()  # left early: free the connection with this close

        return gen()

    # -- tools ---------------------------------------------------------------------------------

    @override
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments for a tool-calling turn (the history is not modified)."""
        specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = _user(user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        if specs:
            prepared["tools"] = specs
            prepared["tool_choice"] = resolve_tool_choice(tool_choice, tool_required)
        return prepared

    @override
    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls are allowed."""
        if allow_parallel_tool_calls:
            return response
        message = response.message
        calls = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
        if len(calls) > 1:
            message.blocks = [
                b for b in message.blocks if not isinstance(b, ToolCallBlock) or b is calls[0]
            ]
            legacy = message.additional_kwargs.get("tool_calls")
            if isinstance(legacy, list):
                message.additional_kwargs["tool_calls"] = legacy[:1]
        return response

    @override
    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        selections = tool_selections(response.message)
        if not selections and error_on_no_tool_call:
            raise NoToolCallError(response.message.content or "")
        return selections


def _user(prompt: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=prompt)


def _to_completion(response: ChatResponse) -> CompletionResponse:
    return CompletionResponse(
        text=response.message.content or "",
        delta=response.delta,
        raw=response.raw,
        logprobs=response.logprobs,
        additional_kwargs=response.additional_kwargs,
    )


def _final(acc: StreamAccumulator) -> ChatResponse:
    """A last response for a stream that ended without ``finish_reason``: ids and arguments
    of its tool calls are completed."""
    acc.finished = True
    return ChatResponse(message=acc.message(), delta="", additional_kwargs=usage_kwargs(acc.usage))
