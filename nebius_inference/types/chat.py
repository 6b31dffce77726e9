"""Chat completions: ``POST /v1/chat/completions``."""

from __future__ import annotations

from typing import Any, TypedDict

from pydantic import Field, field_validator

from ._base import APIResponse, RequestModel, ResponseModel
from .shared import Logprobs, Usage

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionRequest",
    "ChatParams",
    "Choice",
    "ChoiceDelta",
    "ChunkChoice",
    "FunctionCall",
    "FunctionCallDelta",
    "ToolCall",
    "ToolCallDelta",
]

ROLES = frozenset({"system", "user", "assistant", "tool"})


class ChatCompletionRequest(RequestModel):
    """The body of a chat completion. Any other field (``top_k``, ``guided_json``,
    ``guided_regex``, ``guided_choice``, ``chat_template_kwargs``, ...) passes through."""

    model: str = Field(min_length=1)
    messages: list[dict[str, Any]] = Field(min_length=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    n: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    stream_options: dict[str, Any] | None = None
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    seed: int | None = None
    user: str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None
    reasoning_effort: str | None = None
    service_tier: str | None = None

    @field_validator("messages")
    @classmethod
    def _check_messages(cls, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, message in enumerate(messages):
            role = message.get("role")
            if role not in ROLES:
                hint = " (Nebius has no developer role: use system)" if role == "developer" else ""
                raise ValueError(
                    f"messages[{i}] has role {role!r}{hint}; use one of system, user, "
                    "assistant, tool"
                )
            if role == "tool" and not message.get("tool_call_id"):
                raise ValueError(
                    f"messages[{i}] is a tool message without tool_call_id; set it to the id "
                    "of the tool call it answers"
                )
        return messages


class ChatParams(TypedDict, total=False):
    """The fields of :class:`ChatCompletionRequest` as keyword arguments, for type checkers and
    IDEs. Send any other field with ``extra_body={...}``."""

    model: str
    messages: list[dict[str, Any]]
    temperature: float
    top_p: float
    top_k: int
    max_tokens: int
    max_completion_tokens: int
    n: int
    stop: str | list[str]
    stream_options: dict[str, Any]
    presence_penalty: float
    frequency_penalty: float
    logit_bias: dict[str, float]
    logprobs: bool
    top_logprobs: int
    seed: int
    user: str
    tools: list[dict[str, Any]]
    tool_choice: str | dict[str, Any]
    parallel_tool_calls: bool
    response_format: dict[str, Any]
    reasoning_effort: str
    service_tier: str


class FunctionCall(ResponseModel):
    name: str
    arguments: str = ""


class ToolCall(ResponseModel):
    id: str
    type: str = "function"
    function: FunctionCall


class ChatCompletionMessage(ResponseModel):
    role: str = "assistant"
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    refusal: str | None = None

    @property
    def reasoning_text(self) -> str | None:
        """The model's reasoning, whichever field the backend used."""
        return self.reasoning_content or self.reasoning


class Choice(ResponseModel):
    index: int = 0
    message: ChatCompletionMessage
    finish_reason: str | None = None
    logprobs: Logprobs | None = None
    stop_reason: int | str | None = None


class ChatCompletion(APIResponse):
    id: str = ""
    object: str = "chat.completion"
    created: int = 0
    model: str = ""
    choices: list[Choice] = Field(default_factory=list)
    usage: Usage | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None


class FunctionCallDelta(ResponseModel):
    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(ResponseModel):
    index: int = 0
    id: str | None = None
    type: str | None = None
    function: FunctionCallDelta | None = None


class ChoiceDelta(ResponseModel):
    role: str | None = None
    content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    refusal: str | None = None

    @property
    def reasoning_text(self) -> str | None:
        return self.reasoning_content or self.reasoning


class ChunkChoice(ResponseModel):
    index: int = 0
    delta: ChoiceDelta = Field(default_factory=ChoiceDelta)
    finish_reason: str | None = None
    logprobs: Logprobs | None = None
    stop_reason: int | str | None = None


class ChatCompletionChunk(ResponseModel):
    """One streamed event. The last one may have no choices and carry ``usage``.

    Its stream has the headers (``Stream.headers``), so a chunk carries none."""

    id: str = ""
    object: str = "chat.completion.chunk"
    created: int = 0
    model: str = ""
    choices: list[ChunkChoice] = Field(default_factory=list)
    usage: Usage | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
