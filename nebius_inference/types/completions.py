"""Text completions: ``POST /v1/completions``."""

from __future__ import annotations

from typing import Any, TypedDict

from pydantic import Field

from ._base import APIResponse, RequestModel, ResponseModel
from .shared import Usage

__all__ = [
    "Completion",
    "CompletionChoice",
    "CompletionLogprobs",
    "CompletionParams",
    "CompletionRequest",
]


class CompletionRequest(RequestModel):
    model: str = Field(min_length=1)
    prompt: str | list[str] | list[int] | list[list[int]]
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = None
    n: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    stream_options: dict[str, Any] | None = None
    logprobs: int | None = Field(default=None, ge=0, le=20)
    echo: bool | None = None
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    seed: int | None = None
    user: str | None = None
    service_tier: str | None = None


class CompletionParams(TypedDict, total=False):
    """The fields of :class:`CompletionRequest` as keyword arguments, for type checkers and
    IDEs. Send any other field with ``extra_body={...}``."""

    model: str
    prompt: str | list[str] | list[int] | list[list[int]]
    max_tokens: int
    temperature: float
    top_p: float
    top_k: int
    n: int
    stop: str | list[str]
    stream_options: dict[str, Any]
    logprobs: int
    echo: bool
    presence_penalty: float
    frequency_penalty: float
    logit_bias: dict[str, float]
    seed: int
    user: str
    service_tier: str


class CompletionLogprobs(ResponseModel):
    tokens: list[str] | None = None
    token_logprobs: list[float | None] | None = None
    top_logprobs: list[dict[str, float] | None] | None = None
    text_offset: list[int] | None = None


class CompletionChoice(ResponseModel):
    index: int = 0
    text: str = ""
    finish_reason: str | None = None
    logprobs: CompletionLogprobs | None = None
    stop_reason: int | str | None = None


class Completion(APIResponse):
    """A completion, or one streamed chunk of one (same shape)."""

    id: str = ""
    object: str = "text_completion"
    created: int = 0
    model: str = ""
    choices: list[CompletionChoice] = Field(default_factory=list)
    usage: Usage | None = None
    system_fingerprint: str | None = None
