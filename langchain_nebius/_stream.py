"""Streamed chunks -> LangChain chunks, pure (no I/O): chat completion chunks ->
``ChatGenerationChunk`` objects (:class:`ChatChunkConverter` keeps the little state a stream
needs) and streamed text completion events -> ``GenerationChunk`` objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk, GenerationChunk

from nebius_inference.accumulate import StreamAccumulator, ToolCallPiece
from nebius_inference.types import ChatCompletionChunk, Completion, Usage

from ._convert import PROVIDER, headers_to_dict

__all__ = ["ChatChunkConverter", "completion_chunk_to_generation"]

_USAGE_FIELDS = ("input", "output", "total", "reasoning", "cache_read")


def _usage_numbers(usage: Usage) -> dict[str, int | None]:
    return {
        "input": usage.prompt_tokens,
        "output": usage.completion_tokens,
        "total": usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
        "reasoning": usage.reasoning,
        "cache_read": usage.cached_prompt_tokens,
    }


class ChatChunkConverter:
    """Turns one stream's chunks into ``ChatGenerationChunk`` objects.

    It keeps what LangChain's chunk merging needs to add up right:

    * tool calls are assembled by the core's ``StreamAccumulator`` (one rule for ids and
      indexes, shared with LlamaIndex): each call gets its own index and its id once (some
      providers repeat the id and name in every chunk; merged, they would be glued
      together), and a generated id when the provider sends none;
    * usage is emitted as increments, so a provider that repeats the running usage in several
      chunks is not counted twice, and only one chunk carries the input tokens;
    * ``model_name``, ``id``, ``system_fingerprint`` and the headers are set on one chunk only.
    """

    def __init__(self, *, model: str, headers: Mapping[str, str] | None = None) -> None:
        self._model = model
        self._headers = headers_to_dict(headers) if headers is not None else None
        self._accumulator = StreamAccumulator()
        self._usage_sent: dict[str, int | None] = dict.fromkeys(_USAGE_FIELDS)
        self._metadata_sent = False

    def _usage_increment(self, usage: Usage) -> UsageMetadata | None:
        now = _usage_numbers(usage)
        before = self._usage_sent
        diff = {k: (now[k] or 0) - (before[k] or 0) for k in _USAGE_FIELDS}
        first = before["input"] is None
        self._usage_sent = now
        if not first and not any(diff.values()):
            return None
        metadata = cast(
            "UsageMetadata",
            {
                "input_tokens": diff["input"],
                "output_tokens": diff["output"],
                "total_tokens": diff["total"],
            },
        )
        if now["cache_read"] is not None:
            metadata["input_token_details"] = InputTokenDetails(cache_read=diff["cache_read"])
        if now["reasoning"] is not None:
            metadata["output_token_details"] = OutputTokenDetails(reasoning=diff["reasoning"])
        return metadata

    @staticmethod
    def _tool_call_chunks(pieces: Sequence[ToolCallPiece]) -> list[Any]:
        return [
            tool_call_chunk(
                name=piece.name,
                args=piece.arguments or None,
                id=piece.id if piece.started else None,
                index=piece.position,
            )
            for piece in pieces
        ]

    def _metadata(self, chunk: ChatCompletionChunk) -> dict[str, Any]:
        self._metadata_sent = True
        metadata: dict[str, Any] = {"model_name": chunk.model or self._model}
        if chunk.id:
            metadata["id"] = chunk.id
        if chunk.system_fingerprint:
            metadata["system_fingerprint"] = chunk.system_fingerprint
        if chunk.service_tier:
            metadata["service_tier"] = chunk.service_tier
        return metadata

    def convert(self, chunk: ChatCompletionChunk) -> ChatGenerationChunk | None:
        """The LangChain chunk for one API chunk, or None when it carries nothing."""
        step = self._accumulator.add(chunk)
        usage = self._usage_increment(chunk.usage) if chunk.usage is not None else None
        response_metadata: dict[str, Any] = {"model_provider": PROVIDER}
        if self._headers is not None:
            response_metadata["headers"] = self._headers
            self._headers = None
        info: dict[str, Any] = {}
        choice = next((c for c in chunk.choices if c.index == 0), None)
        if choice is None:
            if usage is None and "headers" not in response_metadata:
                return None
            if not self._metadata_sent and usage is not None:
                info.update(self._metadata(chunk))
            message = AIMessageChunk(
                content="", usage_metadata=usage, response_metadata=response_metadata
            )
            return ChatGenerationChunk(message=message, generation_info=info or None)
        delta = choice.delta
        additional: dict[str, Any] = {}
        if delta.reasoning_text:
            additional["reasoning_content"] = delta.reasoning_text
        if delta.refusal:
            additional["refusal"] = delta.refusal
        message = AIMessageChunk(
            content=delta.content or "",
            additional_kwargs=additional,
            tool_call_chunks=self._tool_call_chunks(step.tool_calls),
            usage_metadata=usage,
            response_metadata=response_metadata,
        )
        if choice.finish_reason:
            info["finish_reason"] = choice.finish_reason
            if not self._metadata_sent:
                info.update(self._metadata(chunk))
        if choice.logprobs is not None:
            info["logprobs"] = choice.logprobs.model_dump(exclude_none=True)
        return ChatGenerationChunk(message=message, generation_info=info or None)


def completion_chunk_to_generation(chunk: Completion) -> GenerationChunk | None:
    """The ``GenerationChunk`` of one streamed completion event: its text, ``finish_reason``,
    ``logprobs`` and, on the event that carries it, ``token_usage``. None for an empty event."""
    info: dict[str, Any] = {}
    text = ""
    if chunk.choices:
        choice = chunk.choices[0]
        text = choice.text
        if choice.finish_reason:
            info["finish_reason"] = choice.finish_reason
            info["model_name"] = chunk.model
        if choice.logprobs is not None:
            info["logprobs"] = choice.logprobs.model_dump(exclude_none=True)
    if chunk.usage is not None:
        info["token_usage"] = chunk.usage.model_dump(exclude_none=True)
    if not chunk.choices and not info:
        return None
    return GenerationChunk(text=text, generation_info=info or None)
