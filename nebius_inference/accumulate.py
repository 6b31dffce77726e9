"""Chunks of a chat stream -> one whole message: content, reasoning, tool calls, usage and
finish reason. Both adapters assemble streamed tool calls here, with one rule.

The rule for tool calls (``delta.index`` is the provider's slot number):

* a delta on a slot not seen before starts a call;
* a delta with a *different* id on a slot whose call is complete (it has a name and its
  arguments parse as JSON) starts a new call: some providers reuse index 0 for every call;
* any other delta continues the slot's call: argument fragments are appended; a name is
  appended only when it differs from what the call holds (providers that repeat the whole
  name in every delta do not get it doubled); a repeated or late id is ignored.

A call's id is fixed when it starts: the provider's, or a generated ``call_...`` when the
provider sends none. Calls are numbered 0, 1, 2... in the order they start (``position``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from .types import ChatCompletionChunk, Logprobs, ToolCallDelta, Usage

__all__ = ["StreamAccumulator", "StreamStep", "ToolCall", "ToolCallPiece", "new_call_id"]


def new_call_id() -> str:
    """A tool-call id for a call the provider sent without one."""
    return f"call_{uuid.uuid4().hex[:24]}"


@dataclass
class ToolCall:
    """A tool call assembled so far (``arguments`` is the raw JSON text)."""

    position: int
    id: str
    name: str = ""
    arguments: str = ""

    def complete(self) -> bool:
        """Whether it has a name and its arguments are whole JSON."""
        if not self.name:
            return False
        try:
            json.loads(self.arguments)
        except ValueError:
            return False
        return True


@dataclass(frozen=True)
class ToolCallPiece:
    """What one delta added to a call: ``started`` on its first delta (then ``id`` is
    new), ``name`` only when new name text came, and the argument fragment."""

    position: int
    id: str
    started: bool
    name: str | None
    arguments: str


@dataclass(frozen=True)
class StreamStep:
    """What one chunk added (choice 0 only; other choices are left to the caller)."""

    content: str = ""
    reasoning: str = ""
    refusal: str | None = None
    tool_calls: tuple[ToolCallPiece, ...] = ()
    finish_reason: str | None = None
    logprobs: Logprobs | None = None
    usage: Usage | None = None
    has_choice: bool = False


@dataclass
class StreamAccumulator:
    """Feed it every chunk with :meth:`add`; read the whole message from its fields."""

    content: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None
    _slots: dict[int, ToolCall] = field(default_factory=dict, repr=False)

    def add(self, chunk: ChatCompletionChunk) -> StreamStep:
        """Take in one chunk; what it added."""
        if chunk.usage is not None:
            self.usage = chunk.usage
        choice = next((c for c in chunk.choices if c.index == 0), None)
        if choice is None:
            return StreamStep(usage=chunk.usage)
        delta = choice.delta
        content = delta.content or ""
        reasoning = delta.reasoning_text or ""
        self.content += content
        self.reasoning += reasoning
        pieces = tuple(self._tool_piece(d) for d in delta.tool_calls or ())
        if choice.finish_reason is not None:
            self.finish_reason = choice.finish_reason
        return StreamStep(
            content=content,
            reasoning=reasoning,
            refusal=delta.refusal,
            tool_calls=pieces,
            finish_reason=choice.finish_reason,
            logprobs=choice.logprobs,
            usage=chunk.usage,
            has_choice=True,
        )

    @property
    def finished(self) -> bool:
        """Whether the stream sent a finish reason."""
        return self.finish_reason is not None

    def _tool_piece(self, delta: ToolCallDelta) -> ToolCallPiece:
        name = delta.function.name if delta.function is not None else None
        arguments = (delta.function.arguments if delta.function is not None else None) or ""
        call = self._slots.get(delta.index)
        started = call is None or (bool(delta.id) and delta.id != call.id and call.complete())
        if call is None or started:
            call = ToolCall(position=len(self.tool_calls), id=delta.id or new_call_id())
            self.tool_calls.append(call)
            self._slots[delta.index] = call
        new_name: str | None = None
        if name and name != call.name:
            call.name += name
            new_name = name
        call.arguments += arguments
        return ToolCallPiece(call.position, call.id, started, new_name, arguments)
