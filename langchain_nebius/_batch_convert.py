"""Pure pieces of LangChain batch inference (no I/O): the ``ChatNebius`` behind a runnable,
request bodies as ``invoke`` / ``embed_documents`` send them, and replies as ``invoke``
returns them. :mod:`langchain_nebius.batch` re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableBinding

from nebius_inference.batch import embedding_requests
from nebius_inference.types import ChatCompletion

from ._convert import chat_result_from_completion, input_to_messages
from ._errors import NebiusResponseValidationError
from .chat_models import ChatNebius
from .embeddings import NebiusEmbeddings

__all__ = [
    "ChatCalls",
    "chat_batch_requests",
    "embedding_batch_requests",
    "message_from_batch_completion",
    "resolve_chat_model",
]


def resolve_chat_model(model: Runnable[Any, Any]) -> tuple[ChatNebius, dict[str, Any]]:
    """The ``ChatNebius`` behind ``model`` and its bound keyword arguments.

    ``model`` is a ``ChatNebius`` or what ``bind_tools(...)``, ``bind(...)`` or
    ``with_config(...)`` returns (nested bindings merge, the outer one wins).
    """
    kwargs: dict[str, Any] = {}
    runnable: Any = model
    while isinstance(runnable, RunnableBinding):
        kwargs = {**runnable.kwargs, **kwargs}
        runnable = runnable.bound
    if not isinstance(runnable, ChatNebius):
        raise TypeError(
            f"Batch inference needs a ChatNebius or what its bind_tools()/bind() returns, not "
            f"{type(model).__name__}. For structured output, batch the model with "
            "bind(response_format=..., guided_json=...) and parse the replies yourself."
        )
    return runnable, kwargs


@dataclass(frozen=True)
class ChatCalls:
    """The ``model.invoke(input, stop=stop)`` calls a batch stands for: the ``ChatNebius``
    behind the runnable, the stop sequences, the other bound keyword arguments, and each
    input's messages (converted once). Pure."""

    chat: ChatNebius
    stop: list[str] | None
    kwargs: dict[str, Any]
    messages: list[list[BaseMessage]]

    @classmethod
    def of(
        cls,
        model: Runnable[Any, Any],
        inputs: Sequence[LanguageModelInput],
        *,
        stop: list[str] | None = None,
    ) -> ChatCalls:
        if isinstance(inputs, str):
            raise TypeError("Pass a list of inputs; wrap a single input in a list.")
        chat, kwargs = resolve_chat_model(model)
        if stop is not None:
            kwargs["stop"] = stop
        call_stop = kwargs.pop("stop", None)
        messages = [input_to_messages(item) for item in inputs]
        return cls(chat, call_stop, kwargs, messages)

    def bodies(self) -> list[dict[str, Any]]:
        """The chat completions body of every call (model parameters, bound tools and
        keyword arguments, ``extra_body``)."""
        return [
            self.chat._build_request_body(messages, stop=self.stop, **self.kwargs)
            for messages in self.messages
        ]


def chat_batch_requests(
    model: Runnable[Any, Any],
    inputs: Sequence[LanguageModelInput],
    *,
    stop: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The chat completions body of every input, as ``model.invoke(input, stop=stop)`` would
    send it (model parameters, bound tools and keyword arguments, ``extra_body``). Pure."""
    return ChatCalls.of(model, inputs, stop=stop).bodies()


def message_from_batch_completion(
    chat: ChatNebius, completion: ChatCompletion, *, model: str, message_id: str | None = None
) -> AIMessage:
    """The ``AIMessage`` that ``chat.invoke`` returns for ``completion``: the chat model's own
    conversion, then what ``invoke`` adds (generation info and ``llm_output`` merged into
    ``response_metadata``, ``output_version="v1"`` content blocks, the message id).

    ``model`` is the requested model, used when the reply names none. Pure.
    """
    if not completion.choices:
        raise NebiusResponseValidationError(
            "The API answered without any choices; retry, or report it if it persists.",
            body=completion.model_dump(),
        )
    result = chat_result_from_completion(completion, model=model)
    generation = result.generations[0]
    message = cast("AIMessage", generation.message)
    if chat.output_version == "v1":
        metadata = {**message.response_metadata, "output_version": "v1"}
        message = message.model_copy(
            update={"content": message.content_blocks, "response_metadata": metadata}
        )
    metadata = {**(generation.generation_info or {}), **message.response_metadata}
    if len(result.generations) == 1 and result.llm_output is not None:
        metadata = {**result.llm_output, **metadata}
    message.response_metadata = metadata
    if message.id is None and message_id is not None:
        message.id = message_id
    return message


def embedding_batch_requests(
    embeddings: NebiusEmbeddings, texts: Sequence[str], *, texts_per_request: int = 1
) -> list[dict[str, Any]]:
    """The embeddings body of every request (``texts_per_request`` texts each) with the
    model's ``model``, ``dimensions`` and ``model_kwargs``. Pure."""
    params = dict(embeddings.model_kwargs)
    if embeddings.dimensions is not None:
        params["dimensions"] = embeddings.dimensions
    return embedding_requests(
        texts, model=embeddings.model, texts_per_request=texts_per_request, **params
    )
