"""Request bodies, validated like the live API validates them (422 on bad input).

Unknown fields are accepted and ignored, as the live API does with vLLM pass-through
parameters.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ._errors import EmulatorError

__all__ = [
    "AssistantMessage",
    "BatchCreateRequest",
    "ChatRequest",
    "CompletionRequest",
    "EmbeddingRequest",
    "ImagePart",
    "ImageRequest",
    "Message",
    "RerankRequest",
    "SystemMessage",
    "TextPart",
    "Tool",
    "ToolMessage",
    "UserMessage",
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class TextPart(_Body):
    """A text part of a message."""

    type: Literal["text"]
    text: str


class ImageURL(_Body):
    """The ``image_url`` object of an image part."""

    url: str
    detail: str | None = None


class ImagePart(_Body):
    """An image part of a user message."""

    type: Literal["image_url"]
    image_url: ImageURL | str


UserPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]


class SystemMessage(_Body):
    """A system message."""

    role: Literal["system"]
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(_Body):
    """A user message."""

    role: Literal["user"]
    content: str | list[UserPart]
    name: str | None = None


class FunctionCall(_Body):
    """The function of a tool call."""

    name: str
    arguments: str


class ToolCall(_Body):
    """A tool call made by the assistant."""

    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class AssistantMessage(_Body):
    """An assistant message (possibly with tool calls)."""

    role: Literal["assistant"]
    content: str | list[TextPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None


class ToolMessage(_Body):
    """A tool result."""

    role: Literal["tool"]
    content: str | list[TextPart]
    tool_call_id: str


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")
]


class FunctionDef(_Body):
    """A function a tool exposes."""

    name: str = Field(pattern=r"^[a-zA-Z0-9_.-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(_Body):
    """A tool definition."""

    type: Literal["function"]
    function: FunctionDef


class NamedFunction(_Body):
    """The function named by a tool choice."""

    name: str


class NamedToolChoice(_Body):
    """``tool_choice`` naming one function."""

    type: Literal["function"]
    function: NamedFunction


class JSONSchemaFormat(_Body):
    """The ``json_schema`` member of ``response_format``."""

    name: str
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormat(_Body):
    """``response_format``."""

    type: Literal["text", "json_object", "json_schema"]
    json_schema: JSONSchemaFormat | None = None


class StreamOptions(_Body):
    """``stream_options``."""

    include_usage: bool | None = None
    continuous_usage_stats: bool | None = None


class _Sampling(_Body):
    model: str
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    top_k: int | None = None
    n: int = Field(default=1, ge=1, le=128)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    stop: str | list[str] | None = None
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    seed: int | None = None
    user: str | None = None
    service_tier: str | None = None
    guided_json: dict[str, Any] | str | None = None
    guided_regex: str | None = None
    guided_choice: list[str] | None = Field(default=None, min_length=1)

    def check_stream_options(self) -> None:
        """Reject ``stream_options`` without ``stream``, as the live API does."""
        if self.stream_options is not None and not self.stream:
            raise EmulatorError(400, "Stream options can only be defined when `stream=True`.")

    @property
    def stop_list(self) -> list[str]:
        """``stop`` as a list."""
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)


class ChatRequest(_Sampling):
    """``POST /v1/chat/completions``."""

    messages: list[Message] = Field(min_length=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    logprobs: bool | None = False
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: str | None = None
    chat_template_kwargs: dict[str, Any] | None = None
    store: bool | None = None


class CompletionRequest(_Sampling):
    """``POST /v1/completions``."""

    prompt: str | list[str] | list[int] | list[list[int]]
    max_tokens: int | None = Field(default=16, ge=1)
    echo: bool | None = False
    logprobs: int | None = Field(default=None, ge=0, le=20)
    suffix: str | None = None


class EmbeddingRequest(_Body):
    """``POST /v1/embeddings``."""

    model: str
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = Field(default=None, ge=1)
    user: str | None = None
    service_tier: str | None = None


class Lora(_Body):
    """A LoRA to apply to an image model."""

    url: str
    scale: float = 1.0


class ImageRequest(_Body):
    """``POST /v1/images/generations``."""

    model: str
    prompt: str = Field(min_length=1, max_length=2000)
    width: int = Field(default=512, ge=64, le=2048)
    height: int = Field(default=512, ge=64, le=2048)
    num_inference_steps: int | None = Field(default=None, ge=1, le=80)
    seed: int = Field(default=-1, ge=-1)
    guidance_scale: float | None = None
    negative_prompt: str = Field(default="", max_length=2000)
    response_extension: Literal["webp", "jpg", "png"] = "webp"
    response_format: Literal["url", "b64_json"] = "url"
    loras: list[Lora] | None = Field(default=None, min_length=1, max_length=10)


class RerankRequest(_Body):
    """``POST /v1/rerank``."""

    model: str
    query: str
    documents: list[str] = Field(min_length=1)
    top_n: int | None = Field(default=None, ge=1)
    user: str | None = None
    service_tier: str | None = None


class OverrideSettings(_Body):
    """Nebius ``override_settings`` for a batch."""

    model: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)


class BatchCreateRequest(_Body):
    """``POST /v1/batches``."""

    input_file_id: str
    endpoint: Literal["/v1/chat/completions", "/v1/embeddings"]
    completion_window: Literal["24h"]
    metadata: dict[str, str] | None = None
    override_settings: OverrideSettings | None = None
