"""Usage and cost of Nebius calls in LlamaIndex: ``NebiusCostHandler``, an instrumentation
event handler you add once::

    from llama_index.core.instrumentation import get_dispatcher
    from llama_index_nebius import NebiusCostHandler

    cost = NebiusCostHandler()
    get_dispatcher().add_event_handler(cost)  # the root dispatcher: every module's events
    ...  # NebiusLLM / NebiusEmbedding calls, query engines, agents
    print(cost.total_cost)  # a Decimal, in US dollars; None if part of it is unknown
    print(cost)  # the bill: requests, tokens and cost per model

Every ``NebiusLLM`` reply is counted from its end event (``LLMChatEndEvent``,
``LLMCompletionEndEvent``), whichever way it was asked for (``chat``, ``complete``, streams,
the async twins, tools, structured output, agents), with the usage and the model in its raw
reply. Batch API results (:mod:`llama_index_nebius.batch`) are counted at the Batch API's
price (half). ``NebiusEmbedding`` calls are counted from their end events too, but LlamaIndex's
embedding events carry no usage, so their tokens and cost are unknown (``unmetered_requests``,
and ``total_cost`` is None; ``known_cost`` has the rest). Other providers' models are not
counted.

Prices come from the verbose model listing, read once, the first time a reply is counted
(see :mod:`nebius_inference.cost`). In async code, read them beforehand so that no event waits
on the network: ``NebiusCostHandler(prices=await aget_prices(async_client))``.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.embedding import (
    EmbeddingEndEvent,
    EmbeddingStartEvent,
)
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)

from nebius_inference import NebiusClient
from nebius_inference.cost import CostTracker, ModelCost, PriceTable, price_source
from nebius_inference.types import ChatCompletion, ChatCompletionChunk, Completion, Usage

__all__ = ["NebiusCostHandler"]

_BATCH_SPAN = "report_batch_chats-"
"""The span that :mod:`llama_index_nebius.batch` reports each finished input's events in."""
_CLASSES = {"llm": "NebiusLLM", "embedding": "NebiusEmbedding"}


def _extra_usage(response: Any) -> Usage | None:
    """The usage a ``NebiusLLM`` response keeps in ``additional_kwargs``, if any."""
    extra = getattr(response, "additional_kwargs", None) or {}
    return Usage.model_validate(extra) if "prompt_tokens" in extra else None


def _usage(response: Any) -> tuple[str, Usage | None] | None:
    """The model and usage of a ``NebiusLLM`` reply (None for other providers' replies)."""
    raw = getattr(response, "raw", None)
    if not isinstance(raw, ChatCompletion | ChatCompletionChunk | Completion):
        return None
    # A stream's last event without usage: the usage accumulated so far, if any.
    return raw.model, raw.usage or _extra_usage(response)


class NebiusCostHandler(BaseEventHandler):
    """Counts requests, tokens and cost per model of Nebius replies; thread-safe.

    Args:
        client: the client whose cached prices to use (default: prices are read once with a
            client configured from the environment, ``NEBIUS_API_KEY`` / ``NEBIUS_BASE_URL``).
        prices: a :class:`~nebius_inference.cost.PriceTable` to use instead of reading one.

    The totals are in ``tracker`` (a :class:`~nebius_inference.cost.CostTracker`) and in the
    properties below.
    """

    _tracker: CostTracker = PrivateAttr()
    _open: dict[tuple[str, str], tuple[str, int]] = PrivateAttr(default_factory=dict)
    """Our calls under way: (kind, span id) -> (model, how many)."""
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(
        self,
        *,
        client: NebiusClient | None = None,
        prices: PriceTable | None = None,
        **data: Any,
    ) -> None:
        super().__init__(**data)
        self._tracker = CostTracker(price_source(client, prices))

    @classmethod
    def class_name(cls) -> str:
        return "NebiusCostHandler"

    @property
    def tracker(self) -> CostTracker:
        return self._tracker

    def _opened(self, kind: str, event: BaseEvent, model_dict: dict[str, Any]) -> None:
        if model_dict.get("class_name") != _CLASSES[kind]:
            return
        model = str(model_dict.get("model_name") or "")
        key = (kind, event.span_id or "")
        with self._lock:
            _, count = self._open.get(key, (model, 0))
            self._open[key] = (model, count + 1)

    def _closed(self, kind: str, event: BaseEvent) -> str | None:
        """The model of a call of ours under way in the event's span (None if there is none)."""
        key = (kind, event.span_id or "")
        with self._lock:
            started = self._open.pop(key, None)
            if started is not None and started[1] > 1:
                self._open[key] = (started[0], started[1] - 1)
        return None if started is None else started[0]

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if isinstance(event, LLMChatStartEvent | LLMCompletionStartEvent):
            self._opened("llm", event, event.model_dict)
        elif isinstance(event, LLMChatEndEvent | LLMCompletionEndEvent):
            requested = self._closed("llm", event)
            found = _usage(event.response)
            if found is None and requested is not None:
                # A reply of ours without its raw API reply (a stream completed locally):
                # the model asked for, and the usage if the stream reported it.
                found = requested, _extra_usage(event.response)
            if found is not None:
                batch = (event.span_id or "").startswith(_BATCH_SPAN)
                self._tracker.add(found[0], found[1], batch=batch)
        elif isinstance(event, EmbeddingStartEvent):
            self._opened("embedding", event, event.model_dict)
        elif isinstance(event, EmbeddingEndEvent):
            model = self._closed("embedding", event)
            if model is not None:
                self._tracker.add(model, None)

    # -- totals -----------------------------------------------------------------------------

    @property
    def requests(self) -> int:
        return self._tracker.requests

    @property
    def prompt_tokens(self) -> int:
        return self._tracker.prompt_tokens

    @property
    def completion_tokens(self) -> int:
        return self._tracker.completion_tokens

    @property
    def reasoning_tokens(self) -> int:
        """Reasoning tokens (part of the completion tokens, and billed as such)."""
        return self._tracker.reasoning_tokens

    @property
    def total_tokens(self) -> int:
        return self._tracker.total_tokens

    @property
    def total_cost(self) -> Decimal | None:
        """The cost in US dollars, or None when part of it is unknown (see ``known_cost``)."""
        return self._tracker.total_cost

    @property
    def known_cost(self) -> Decimal:
        """The cost of every reply whose model has a price and that carried usage."""
        return self._tracker.known_cost

    @property
    def unpriced_models(self) -> list[str]:
        return self._tracker.unpriced_models

    @property
    def by_model(self) -> dict[str, ModelCost]:
        return self._tracker.by_model

    def reset(self) -> None:
        """Forget the counts."""
        self._tracker.reset()

    def __str__(self) -> str:
        return str(self._tracker)
