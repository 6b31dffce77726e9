"""The Batch API hint for ``ChatNebius.batch`` / ``abatch``: the job's size, told to the pacer.

The pacer (``nebius_inference.pacing``) warns once per client and model when the rate limit
would make a job take longer than the Batch API; here a LangChain batch says how big it is and
names ``langchain_nebius.batch``. Pure apart from that call; nothing is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.prompt_values import PromptValue

from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.pacing import announce_job

from ._common import CHARS_PER_TOKEN

__all__ = ["announce_chat_batch", "input_chars"]


def input_chars(value: Any) -> int:
    """About how many characters of text one LangChain chat input holds (a string, a prompt
    value, a message, a ``(role, content)`` pair, a message dict, or a list of those)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, PromptValue):
        return len(value.to_string())
    if isinstance(value, BaseMessage):
        return _content_chars(value.content)
    if isinstance(value, dict):
        return _content_chars(value.get("content"))
    if isinstance(value, tuple) and len(value) == 2:
        return _content_chars(value[1])
    if isinstance(value, Sequence):
        return sum(input_chars(item) for item in value)
    return 0


def _content_chars(content: Any) -> int:
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        return sum(
            _content_chars(part.get("text")) if isinstance(part, dict) else _content_chars(part)
            for part in content
        )
    return 0


def announce_chat_batch(
    client: NebiusClient | AsyncNebiusClient,
    model: str,
    inputs: Sequence[Any],
    max_tokens: int | None,
) -> None:
    """Tell ``client``'s pacer that a batch of ``inputs`` chats for ``model`` starts: one
    request each, their text at 4 characters a token plus ``max_tokens`` each."""
    if not inputs:
        return
    chars = sum(input_chars(value) for value in inputs)
    tokens = chars / CHARS_PER_TOKEN + (max_tokens or 0) * len(inputs)
    announce_job(
        client, model, requests=len(inputs), tokens=tokens, batch_module="langchain_nebius.batch"
    )
