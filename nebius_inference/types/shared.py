"""Models shared by several endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ._base import ResponseModel, ZeroIfNull

__all__ = ["Logprobs", "TokenLogprob", "TopLogprob", "Usage"]


class Usage(ResponseModel):
    prompt_tokens: ZeroIfNull = 0
    completion_tokens: ZeroIfNull = 0
    total_tokens: ZeroIfNull = 0
    prompt_tokens_details: dict[str, Any] | None = None
    completion_tokens_details: dict[str, Any] | None = None
    reasoning_tokens: int | None = None

    @property
    def reasoning(self) -> int | None:
        """Reasoning tokens, wherever the backend put them."""
        if self.reasoning_tokens is not None:
            return self.reasoning_tokens
        details = self.completion_tokens_details or {}
        value = details.get("reasoning_tokens")
        return int(value) if isinstance(value, int) else None

    @property
    def cached_prompt_tokens(self) -> int | None:
        value = (self.prompt_tokens_details or {}).get("cached_tokens")
        return int(value) if isinstance(value, int) else None


def _empty_if_none(value: Any) -> Any:
    return [] if value is None else value


class TopLogprob(ResponseModel):
    token: str
    logprob: float
    bytes: list[int] | None = None


class TokenLogprob(ResponseModel):
    token: str
    logprob: float
    bytes: list[int] | None = None
    top_logprobs: Annotated[list[TopLogprob], BeforeValidator(_empty_if_none)] = Field(
        default_factory=list
    )


class Logprobs(ResponseModel):
    content: list[TokenLogprob] | None = None
    refusal: list[TokenLogprob] | None = None
