"""``ChatNebius``: LangChain chat model over the Nebius chat completions API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import BaseTool
from pydantic import AliasChoices, ConfigDict, Field, model_validator
from typing_extensions import Self, override

from nebius_inference.catalog import (
    DEFAULT_CHAT_MODEL,
    amodel_catalog,
    lookup,
    model_catalog,
)
from nebius_inference.types import ChatCompletion

from ._common import (
    CHARS_PER_TOKEN,
    NebiusClientMixin,
    build_model_kwargs,
    count_text_tokens,
    stored_signature,
)
from ._convert import (
    chat_result_from_completion,
    format_tool,
    format_tool_choice,
    messages_to_dicts,
)
from ._errors import NebiusResponseValidationError, translate_errors
from ._job_hint import announce_chat_batch
from ._params import body_fields, call_options, langsmith_params
from ._profile import profile_from_facts
from ._stream import ChatChunkConverter
from ._structured import StructuredMethod, structured_output

__all__ = ["ChatNebius"]

# Keyword arguments that are neither body fields nor transport options.
_NOT_BODY = (
    "stream",
    "stream_usage",
    "ls_structured_output_format",
    "structured_output_format",
)


class ChatNebius(NebiusClientMixin, BaseChatModel):
    """Chat model on Nebius Token Factory (formerly AI Studio).

    A one-line swap for ``ChatOpenAI``: the same constructor names (``model``, ``api_key``,
    ``base_url``, ``temperature``, ``max_tokens``, ``timeout``, ``max_retries``,
    ``model_kwargs``, ``extra_body``, ``streaming``, ``stream_usage``, ...).

    Example:
        .. code-block:: python

            from langchain_nebius import ChatNebius

            llm = ChatNebius(model="Qwen/Qwen3-235B-A22B-Instruct-2507", temperature=0)
            llm.invoke("Hello!")

    Set ``model`` yourself: the default (``nebius_inference.catalog.DEFAULT_CHAT_MODEL``) is
    only a current model at the time of writing, and the Nebius catalogue changes.
    ``profile`` comes from the core's model table; ``refresh_profile()`` reads the verbose
    model listing instead.

    * Key: ``api_key`` (or ``nebius_api_key``), else ``NEBIUS_API_KEY``.
    * Base URL: ``base_url`` (or ``nebius_api_base``), else ``NEBIUS_BASE_URL`` /
      ``NEBIUS_API_BASE``, else ``https://api.tokenfactory.nebius.com/v1``.
    * Streams report usage in their last chunk (``stream_usage=True`` by default).
    * Reasoning text (``reasoning_content`` or ``reasoning``) lands in
      ``additional_kwargs["reasoning_content"]`` and in the standard reasoning content block.
    * ``with_structured_output`` uses ``guided_json`` by default (the schema is sent both as
      ``guided_json`` and as a ``json_schema`` response format); ``json_schema``,
      ``json_mode`` and ``function_calling`` are there too.
    * Errors are both ``nebius_inference`` errors and ``langchain_core`` ``Model*Error``\\ s.
    """

    model_config = ConfigDict(
        hide_input_in_errors=True,
        populate_by_name=True,
        protected_namespaces=(),
        arbitrary_types_allowed=True,
    )

    model_name: str = Field(default=DEFAULT_CHAT_MODEL, alias="model")
    """Model id, e.g. ``Qwen/Qwen3-235B-A22B-Instruct-2507`` (case-sensitive)."""
    temperature: float | None = None
    max_tokens: int | None = Field(
        default=None, validation_alias=AliasChoices("max_tokens", "max_completion_tokens")
    )
    """Most tokens to generate (also accepted as ``max_completion_tokens``)."""
    top_p: float | None = None
    top_k: int | None = None
    n: int | None = None
    """Number of replies per prompt (``1`` when streaming)."""
    stop: list[str] | str | None = Field(
        default=None, validation_alias=AliasChoices("stop", "stop_sequences")
    )
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    logit_bias: dict[int, int] | None = None
    reasoning_effort: str | None = None
    """For reasoning models that honour it, e.g. ``"low"``, ``"medium"``, ``"high"``."""
    service_tier: str | None = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other body fields, sent as they are (unknown constructor arguments land here)."""
    extra_body: dict[str, Any] | None = None
    """Fields merged into the top level of every request body (``guided_json``,
    ``chat_template_kwargs``, ...)."""
    streaming: bool = False
    """Stream even when ``invoke`` is called (the pieces go to callbacks)."""
    stream_usage: bool = True
    """Ask for usage in the last streamed chunk (``stream_options.include_usage``)."""
    include_response_headers: bool = False
    """Put the HTTP response headers (rate-limit counters...) in ``response_metadata``."""

    @model_validator(mode="before")
    @classmethod
    def _nebius_build_extra(cls, values: Any) -> Any:
        return build_model_kwargs(cls, values)

    @model_validator(mode="after")
    def _nebius_check_n(self) -> Self:
        if self.n is not None and self.n < 1:
            raise ValueError("n must be at least 1.")
        if self.n is not None and self.n > 1 and self.streaming:
            raise ValueError("n must be 1 when streaming.")
        return self

    # -- LangChain plumbing ------------------------------------------------------------------

    @property
    def model(self) -> str:
        """Same as ``model_name``."""
        return self.model_name

    @property
    @override
    def _llm_type(self) -> str:
        return "nebius-chat"

    @property
    @override
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "NEBIUS_API_KEY"}

    @classmethod
    @override
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    @override
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_nebius", "chat_models"]

    @override
    def get_num_tokens(self, text: str) -> int:
        """About how many tokens ``text`` is (4 characters a token), with no tokenizer
        download. Pass ``custom_get_token_ids`` for exact counts with your model's tokenizer;
        every reply's ``usage_metadata`` has the exact numbers."""
        return count_text_tokens(text, self.custom_get_token_ids)

    @override
    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """About how many tokens ``messages`` (and ``tools``) take, with langchain-core's
        ``count_tokens_approximately``; with ``custom_get_token_ids``, LangChain's count."""
        if self.custom_get_token_ids is not None:
            return super().get_num_tokens_from_messages(messages, tools)
        return count_tokens_approximately(
            messages, chars_per_token=CHARS_PER_TOKEN, tools=list(tools) if tools else None
        )

    @override
    def _resolve_model_profile(self) -> ModelProfile | None:
        return profile_from_facts(self.model_name, lookup(self.model_name))

    def refresh_profile(self) -> ModelProfile:
        """Set ``profile`` from the verbose model listing (read once per client, cached)."""
        facts = model_catalog(self._get_client()).facts(self.model_name)
        self.profile = profile_from_facts(self.model_name, facts)
        return self.profile

    async def arefresh_profile(self) -> ModelProfile:
        """The async twin of :meth:`refresh_profile`."""
        facts = (await amodel_catalog(self._get_async_client())).facts(self.model_name)
        self.profile = profile_from_facts(self.model_name, facts)
        return self.profile

    @property
    def _default_params(self) -> dict[str, Any]:
        """Body fields from the constructor (no messages, no credentials)."""
        optional = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "n": self.n,
            "stop": self.stop or None,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
            "seed": self.seed,
            "logprobs": self.logprobs,
            "top_logprobs": self.top_logprobs,
            "logit_bias": self.logit_bias,
            "reasoning_effort": self.reasoning_effort,
            "service_tier": self.service_tier,
        }
        return {
            "model": self.model_name,
            **{k: v for k, v in optional.items() if v is not None},
            **self.model_kwargs,
        }

    @property
    @override
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, **self._default_params}

    @override
    def _get_invocation_params(
        self, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        # What langchain-core's own version returns (asdict() and the stop words), with the
        # body fields on top; computed from public methods only.
        return {**self.asdict(), "stop": stop, **self._default_params, **kwargs}

    @override
    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = {**self._default_params, **kwargs}
        return langsmith_params(params, stop, self.model_name, "chat")

    # -- requests ----------------------------------------------------------------------------

    def _build_request_body(
        self, messages: Sequence[BaseMessage], stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The chat completions body for ``messages``: model, converted messages, constructor
        parameters, bound tools and per-call keyword arguments, ``extra_body`` merged in.

        Pure (no I/O); the same body a batch request line would carry. Per-call transport
        options (``extra_headers``, ``extra_query``, ``timeout``) and streaming switches are
        left out.
        """
        params = {**self._default_params, **kwargs}
        fields = body_fields(params, stop, self.extra_body, _NOT_BODY)
        return {"messages": messages_to_dicts(messages), **fields}

    @staticmethod
    def _call_options(kwargs: dict[str, Any]) -> dict[str, Any]:
        return call_options(kwargs)

    def _stream_body(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        body = self._build_request_body(messages, stop=stop, **kwargs)
        if (body.get("n") or 1) > 1:
            raise ValueError("n must be 1 when streaming.")
        usage = kwargs.get("stream_usage")
        include = self.stream_usage if usage is None else bool(usage)
        body.setdefault("stream_options", {"include_usage": include})
        return body

    def _chat_result(self, completion: ChatCompletion, body: dict[str, Any]) -> ChatResult:
        if not completion.choices:
            raise NebiusResponseValidationError(
                "The API answered without any choices; retry, or report it if it persists.",
                body=completion.model_dump(),
            )
        headers = completion.response_headers if self.include_response_headers else None
        return chat_result_from_completion(completion, model=body["model"], headers=headers)

    @override
    @stored_signature
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        body = self._build_request_body(messages, stop=stop, **kwargs)
        with translate_errors():
            completion = self._get_client().create_chat_completion(
                body, **self._call_options(kwargs)
            )
        return self._chat_result(completion, body)

    @override
    @stored_signature
    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        body = self._build_request_body(messages, stop=stop, **kwargs)
        with translate_errors():
            completion = await self._get_async_client().create_chat_completion(
                body, **self._call_options(kwargs)
            )
        return self._chat_result(completion, body)

    @override
    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        body = self._stream_body(messages, stop, kwargs)
        with (
            translate_errors(),
            self._get_client().stream_chat_completion(body, **self._call_options(kwargs)) as stream,
        ):
            headers = stream.headers if self.include_response_headers else None
            converter = ChatChunkConverter(model=body["model"], headers=headers)
            for chunk in stream:
                generation = converter.convert(chunk)
                if generation is not None:
                    yield generation

    @override
    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        body = self._stream_body(messages, stop, kwargs)
        with translate_errors():
            stream = await self._get_async_client().stream_chat_completion(
                body, **self._call_options(kwargs)
            )
            async with stream:
                headers = stream.headers if self.include_response_headers else None
                converter = ChatChunkConverter(model=body["model"], headers=headers)
                async for chunk in stream:
                    generation = converter.convert(chunk)
                    if generation is not None:
                        yield generation

    # -- batches: LangChain's, with the job's size told to the pacer -------------------------

    @override
    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        """LangChain's ``batch`` (``invoke`` in a thread pool, ``max_concurrency`` honoured);
        a job the rate limit would stretch past the Batch API's turnaround is pointed to
        ``langchain_nebius.batch`` once, in a warning."""
        self._announce(self._get_client(), inputs, kwargs)
        return super().batch(inputs, config, return_exceptions=return_exceptions, **kwargs)

    @override
    async def abatch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        """The async twin of :meth:`batch`."""
        self._announce(self._get_async_client(), inputs, kwargs)
        return await super().abatch(inputs, config, return_exceptions=return_exceptions, **kwargs)

    def _announce(
        self, client: Any, inputs: list[LanguageModelInput], kwargs: dict[str, Any]
    ) -> None:
        model = kwargs.get("model") or self.model_name
        max_tokens = kwargs.get("max_tokens") or self.max_tokens
        announce_chat_batch(client, str(model), inputs, max_tokens)

    # -- tools and structured output ---------------------------------------------------------

    @override
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools in any LangChain form (``BaseTool``, function, pydantic model, TypedDict,
        JSON schema, OpenAI tool dict).

        Args:
            tools: the tools.
            tool_choice: a tool name (forces that tool), ``"auto"``, ``"none"``, or
                ``"any"``/``"required"``/``True`` (forces some tool call).
            strict: ask the server to follow the argument schemas exactly.
            parallel_tool_calls: allow several calls in one reply (sent only when given).
            kwargs: other request fields to bind.
        """
        formatted = [format_tool(tool, strict=strict) for tool in tools]
        names = [t["function"]["name"] for t in formatted if isinstance(t.get("function"), dict)]
        choice = format_tool_choice(tool_choice, names)
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    @override
    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredMethod | Literal["guided_json"] = "guided_json",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """A runnable that returns replies shaped by ``schema`` (pydantic model -> instances;
        TypedDict or JSON schema -> dicts).

        Args:
            schema: a pydantic model, a TypedDict, or a JSON schema (optional for json_mode).
            method: ``"guided_json"`` (default: the schema goes both in ``guided_json`` and
                in ``response_format={"type": "json_schema", ...}``, so backends that read
                either one constrain the reply), ``"json_schema"`` (``response_format``
                only), ``"json_mode"`` (``{"type": "json_object"}``) or
                ``"function_calling"`` (a forced tool call).
            include_raw: return ``{"raw", "parsed", "parsing_error"}`` instead of raising
                when the reply cannot be parsed.
            strict: passed to the server in the ``json_schema`` response format (``True``
                unless given, with the default method) and with ``function_calling``.
            kwargs: other request fields to bind.

        The reply is checked on our side: one that is not JSON, does not match the schema or
        (``function_calling``) has no tool call raises ``OutputParserException``
        (``llm_output`` holds the raw text).
        """
        return structured_output(
            self, schema, method=method, include_raw=include_raw, strict=strict, kwargs=kwargs
        )
