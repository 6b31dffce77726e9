"""Pure pieces of LlamaIndex batch inference (no I/O): request bodies as ``NebiusLLM.chat``
(or ``chat_with_tools``) and ``NebiusEmbedding`` send them, and replies as ``chat`` returns
them. :mod:`llama_index_nebius.batch` re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole

from nebius_inference.batch import embedding_requests
from nebius_inference.types import ChatCompletion

from ._convert import chat_response_from_completion, merge_body
from .embeddings import NebiusEmbedding
from .llms import NebiusLLM

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = ["ChatCall", "ChatInput", "ChatRequests", "embedding_batch_requests"]

ChatInput = Sequence[ChatMessage] | str
"""A chat: its messages, or a prompt string (one user message)."""


ChatCall = tuple[list[ChatMessage], dict[str, Any]]
"""The messages and keyword arguments of one ``llm.chat`` call."""


@dataclass(frozen=True)
class ChatRequests:
    """How a batch of chats is sent and read back: the LLM, its per-call ``llm_kwargs``
    (as ``llm.chat(messages, **llm_kwargs)``), and tools as ``chat_with_tools`` takes them.

    :meth:`bodies` and :meth:`response` are pure (no I/O).
    """

    llm: NebiusLLM
    llm_kwargs: Mapping[str, Any] = field(default_factory=dict)
    tools: Sequence[BaseTool] | None = None
    tool_required: bool = False
    allow_parallel_tool_calls: bool = False

    def calls(self, inputs: Sequence[ChatInput]) -> list[ChatCall]:
        """The messages and keyword arguments ``llm.chat`` receives for every input (with
        tools, as ``chat_with_tools`` prepares them)."""
        if isinstance(inputs, str):
            raise TypeError("Pass a list of chats; wrap a single chat in a list.")
        calls = []
        for item in inputs:
            messages = _messages(item)
            kwargs = dict(self.llm_kwargs)
            if self.tools:
                kwargs = self.llm._prepare_chat_with_tools(
                    self.tools, chat_history=messages, tool_required=self.tool_required, **kwargs
                )
                messages = kwargs.pop("messages")
            calls.append((messages, kwargs))
        return calls

    def bodies(self, inputs: Sequence[ChatInput]) -> list[dict[str, Any]]:
        """The chat completions body of every input, as ``llm.chat`` (or
        ``llm.chat_with_tools``) would send it."""
        return self.bodies_of(self.calls(inputs))

    def bodies_of(self, calls: Sequence[ChatCall]) -> list[dict[str, Any]]:
        """The chat completions body of every call from :meth:`calls`."""
        return [self.llm._build_chat_body(messages, **kwargs) for messages, kwargs in calls]

    def response(self, completion: ChatCompletion) -> ChatResponse:
        """The ``ChatResponse`` ``llm.chat`` (or ``chat_with_tools``) returns for
        ``completion``."""
        response = chat_response_from_completion(completion)
        if self.tools:
            response = self.llm._validate_chat_with_tools_response(
                response, self.tools, allow_parallel_tool_calls=self.allow_parallel_tool_calls
            )
        return response


def _messages(item: ChatInput) -> list[ChatMessage]:
    if isinstance(item, str):
        return [ChatMessage(role=MessageRole.USER, content=item)]
    messages = list(item)
    for message in messages:
        if not isinstance(message, ChatMessage):
            raise TypeError(
                f"A chat is a list of ChatMessage or a prompt string, not a list holding "
                f"{type(message).__name__}."
            )
    return messages


def embedding_batch_requests(
    embed_model: NebiusEmbedding, texts: Sequence[str], *, texts_per_request: int = 1
) -> list[dict[str, Any]]:
    """The embeddings body of every request (``texts_per_request`` texts each), as the model
    sends them for documents: ``text_instruction`` prefix, ``dimensions``,
    ``additional_kwargs``. Pure."""
    params = merge_body({"dimensions": embed_model.dimensions}, embed_model.additional_kwargs)
    prefix = embed_model.text_instruction
    items = [f"{prefix}{text}" for text in texts] if prefix else texts
    return embedding_requests(
        items, model=embed_model.model_name, texts_per_request=texts_per_request, **params
    )
