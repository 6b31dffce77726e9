r"""Streamed chat chunks -> the cumulative ``ChatResponse``\ s LlamaIndex streams expect, over
the core's stream accumulator; pure (no I/O).
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ContentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from nebius_inference.accumulate import StreamAccumulator as CoreAccumulator
from nebius_inference.accumulate import ToolCall as CoreToolCall
from nebius_inference.types import ChatCompletionChunk, Usage

from ._convert import logprobs_from_nebius, parse_arguments, tool_call_dict, usage_kwargs

__all__ = ["StreamAccumulator"]


class StreamAccumulator:
    """Turns chunks into cumulative ``ChatResponse``s (what LlamaIndex streams expect), over
    the core's :class:`nebius_inference.accumulate.StreamAccumulator` (one rule for tool-call
    ids and indexes, shared with LangChain).

    Each response carries the whole message so far (thinking, text, tool calls), the new text
    in ``delta``, the new reasoning in ``additional_kwargs["thinking_delta"]``, the chunk in
    ``raw``, and the token usage once the server sends it (the last chunk).
    """

    def __init__(self) -> None:
        self.core = CoreAccumulator()
        self.finished = False

    @property
    def tools(self) -> list[CoreToolCall]:
        """The tool calls so far."""
        return self.core.tool_calls

    @property
    def usage(self) -> Usage | None:
        return self.core.usage

    def feed(self, chunk: ChatCompletionChunk) -> ChatResponse:
        step = self.core.add(chunk)
        if step.finish_reason is not None:
            self.finished = True
        extra: dict[str, Any] = usage_kwargs(self.core.usage)
        if step.reasoning:
            extra["thinking_delta"] = step.reasoning
        return ChatResponse(
            message=self.message(),
            delta=step.content,
            raw=chunk,
            logprobs=logprobs_from_nebius(step.logprobs),
            additional_kwargs=extra,
        )

    def message(self) -> ChatMessage:
        blocks: list[ContentBlock] = []
        core = self.core
        if core.reasoning:
            reasoning_tokens = core.usage.reasoning if core.usage is not None else None
            blocks.append(ThinkingBlock(content=core.reasoning, num_tokens=reasoning_tokens))
        blocks.append(TextBlock(text=core.content))
        extra: dict[str, Any] = {}
        if core.tool_calls:
            blocks.extend(
                ToolCallBlock(
                    tool_call_id=call.id,
                    tool_name=call.name,
                    tool_kwargs=parse_arguments(call.arguments)
                    if self.finished
                    else call.arguments,
                )
                for call in core.tool_calls
            )
            extra["tool_calls"] = [
                tool_call_dict(call.id, call.name, call.arguments) for call in core.tool_calls
            ]
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)
