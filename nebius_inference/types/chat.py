"""Chat completions: ``POST /v1/chat/completions``."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, TypedDict

from pydantic import BeforeValidator, Field, field_validator, model_validator

from .._checks import check_json_schema, check_response_format
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
    "json_schema_response_format",
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
            content = message.get("content")
            if content is not None and not isinstance(content, (str, list)):
                raise ValueError(
                    f"messages[{i}].content is {type(content).__name__}; pass a string or a "
                    "list of content parts (for a number: str(value))"
                )
            if role == "tool" and not message.get("tool_call_id"):
                raise ValueError(
                    f"messages[{i}] is a tool message without tool_call_id; set it to the id "
                    "of the tool call it answers"
                )
        return messages

    @field_validator("response_format")
    @classmethod
    def _check_response_format(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        check_response_format(value)
        return value

    @field_validator("tools")
    @classmethod
    def _check_tools(cls, tools: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        for i, tool in enumerate(tools or []):
            function = tool.get("function")
            if isinstance(function, dict) and "parameters" in function:
                check_json_schema(function["parameters"], f"tools[{i}].function.parameters")
        return tools


def _arguments_text(value: Any) -> Any:
    """Arguments as JSON text; some servers (TGI) send them as an object."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


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
    arguments: Annotated[str, BeforeValidator(_arguments_text)] = ""


class ToolCall(ResponseModel):
    """A tool call. One without an ``id`` (some servers leave it out) gets a fresh one, so a
    tool result can always answer it."""

    id: str
    type: str = "function"
    function: FunctionCall

    @model_validator(mode="before")
    @classmethod
    def _fill_missing(cls, data: Any) -> Any:
        if isinstance(data, dict) and (not data.get("id") or data.get("type") is None):
            data = dict(data)
            if not data.get("id"):
                data["id"] = f"call_{uuid.uuid4().hex[:24]}"
            if data.get("type") is None:
                data["type"] = "function"
        return data


def _content_text(value: Any) -> Any:
    """Content given as a list of parts becomes its text (the parts are kept as
    ``content_parts``)."""
    if not isinstance(value, list):
        return value
    texts = [
        part.get("text") or ""
        for part in value
        if isinstance(part, dict) and part.get("type", "text") in ("text", "output_text")
    ]
    return "".join(texts) if texts or not value else None


class ChatCompletionMessage(ResponseModel):
    role: str = "assistant"
    content: Annotated[str | None, BeforeValidator(_content_text)] = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    refusal: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _keep_parts(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if isinstance(data.get("content"), list) and "content_parts" not in data:
                data = {**data, "content_parts": data["content"]}
            if data.get("role") is None and "role" in data:
                data = {**data, "role": "assistant"}
        return data

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


_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def json_schema_response_format(
    schema: Mapping[str, Any], *, strict: bool | None = None
) -> dict[str, Any]:
    """The ``response_format`` that asks for JSON matching ``schema``: ``{"type":
    "json_schema", "json_schema": {"name", "schema", "strict"}}`` (``strict`` left out when
    ``None``); the name is the schema's title with only the characters OpenAI-style servers
    accept (``"output"`` when that leaves nothing)."""
    name = _NAME_UNSAFE.sub("_", str(schema.get("title") or "")).strip("_")[:64] or "output"
    spec: dict[str, Any] = {"name": name, "schema": dict(schema)}
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}
