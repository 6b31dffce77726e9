"""Usage and cost of Nebius calls in LangChain: ``get_nebius_callback()``.

The Nebius counterpart of ``get_openai_callback()``::

    from langchain_nebius import ChatNebius, get_nebius_callback

    with get_nebius_callback() as cb:
        ChatNebius().invoke("Hello!")
    print(cb.total_cost)  # a Decimal, in US dollars; None if a model has no price
    print(cb)  # the bill: requests, tokens and cost per model

Every ``ChatNebius`` and ``NebiusLLM`` run inside the block is counted, whichever way it is
called (``invoke``, ``stream``, ``batch``, the async twins, tools, structured output, inside
chains and agents, in other threads through LangChain's executors), with its reply's usage and
the model that answered. Batch API results (:mod:`langchain_nebius.batch`) are counted when
the job's results are reported, at the Batch API's price (half). Prices come from the verbose
model listing, read once, the first time a reply is counted (see
:mod:`nebius_inference.cost`); a model without a price is listed in ``unpriced_models`` and
makes ``total_cost`` None instead of counting as free. Runs of other providers' models are not
counted. LangChain's embeddings interface reports nothing to callbacks, so embeddings are not
counted here (price them with :mod:`nebius_inference.cost`).

Blocks nest: an inner block's calls count in the outer block too. The handler can also be
passed explicitly, as ``config={"callbacks": [NebiusCallbackHandler()]}``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook
from typing_extensions import override

from nebius_inference import NebiusClient
from nebius_inference.cost import CostTracker, ModelCost, PriceTable, price_source
from nebius_inference.types import Usage

__all__ = ["BATCH_API_METADATA", "NebiusCallbackHandler", "get_nebius_callback"]

BATCH_API_METADATA = "nebius_batch_api"
"""Run metadata key that marks a chat model run reported for a Batch API result."""

_PROVIDER = "nebius"
_PACKAGE = "langchain_nebius"

_current: ContextVar[NebiusCallbackHandler | None] = ContextVar(
    "nebius_callback_handler", default=None
)
register_configure_hook(_current, inheritable=True)


def _from_message(message: AIMessage) -> tuple[Usage | None, int | None, str | None]:
    model = message.response_metadata.get("model_name")
    counts = message.usage_metadata
    if counts is None:
        return None, None, model
    usage = Usage(
        prompt_tokens=counts["input_tokens"],
        completion_tokens=counts["output_tokens"],
        total_tokens=counts["total_tokens"],
    )
    reasoning = (counts.get("output_token_details") or {}).get("reasoning")
    return usage, reasoning, model


def _from_token_usage(info: Any) -> tuple[Usage | None, int | None, str | None] | None:
    if not isinstance(info, dict) or not isinstance(info.get("token_usage"), dict):
        return None
    usage = Usage.model_validate(info["token_usage"])
    model = info.get("model_name")
    return usage, usage.reasoning, model if isinstance(model, str) else None


def usage_of(response: LLMResult) -> tuple[Usage | None, int | None, str | None]:
    """The usage, reasoning tokens and answering model of one run's result, from the first
    generation's message (``usage_metadata``, ``response_metadata["model_name"]``), else
    ``llm_output["token_usage"]`` (``NebiusLLM``), else the generation's ``generation_info``
    (a streamed ``NebiusLLM``). Pure."""
    first = response.generations[0][0] if response.generations and response.generations[0] else None
    if isinstance(first, ChatGeneration) and isinstance(first.message, AIMessage):
        return _from_message(first.message)
    for info in (response.llm_output, first.generation_info if first is not None else None):
        found = _from_token_usage(info)
        if found is not None:
            return found
    model = (response.llm_output or {}).get("model_name")
    return None, None, model if isinstance(model, str) else None


class NebiusCallbackHandler(BaseCallbackHandler):
    """Counts requests, tokens and cost per model of the Nebius runs it hears of; thread-safe.

    Args:
        client: the client whose cached prices to use (default: prices are read once with a
            client configured from the environment, ``NEBIUS_API_KEY`` / ``NEBIUS_BASE_URL``).
        prices: a :class:`~nebius_inference.cost.PriceTable` to use instead of reading one.
        parent: a tracker told of every run too (what nested blocks use).

    The totals are in ``tracker`` (a :class:`~nebius_inference.cost.CostTracker`) and in the
    properties below, named as ``get_openai_callback``'s are where they mean the same.
    """

    def __init__(
        self,
        *,
        client: NebiusClient | None = None,
        prices: PriceTable | None = None,
        parent: CostTracker | None = None,
    ) -> None:
        super().__init__()
        self.tracker = CostTracker(price_source(client, prices), parent=parent)
        self._runs: dict[UUID, tuple[str, bool]] = {}
        self._lock = threading.Lock()

    def _start(
        self, serialized: dict[str, Any] | None, run_id: UUID, kwargs: dict[str, Any]
    ) -> None:
        # LangChain passes the model's LangSmith parameters as metadata on most paths, but
        # not to a direct NebiusLLM.generate(...) call: the serialized class path says too.
        metadata = kwargs.get("metadata") or {}
        path = (serialized or {}).get("id") or [None]
        if metadata.get("ls_provider") != _PROVIDER and path[0] != _PACKAGE:
            return
        params = kwargs.get("invocation_params") or {}
        model = str(metadata.get("ls_model_name") or params.get("model") or "")
        with self._lock:
            self._runs[run_id] = (model, bool(metadata.get(BATCH_API_METADATA)))

    @override
    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        self._start(serialized, run_id, kwargs)

    @override
    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        self._start(serialized, run_id, kwargs)

    @override
    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            started = self._runs.pop(run_id, None)
        if started is None:
            return
        requested, batch = started
        usage, reasoning, model = usage_of(response)
        self.tracker.add(model or requested, usage, batch=batch, reasoning=reasoning)

    @override
    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            self._runs.pop(run_id, None)

    # -- totals -----------------------------------------------------------------------------

    @property
    def successful_requests(self) -> int:
        """Runs that ended with a reply."""
        return self.tracker.requests

    @property
    def prompt_tokens(self) -> int:
        return self.tracker.prompt_tokens

    @property
    def completion_tokens(self) -> int:
        return self.tracker.completion_tokens

    @property
    def reasoning_tokens(self) -> int:
        """Reasoning tokens (part of the completion tokens, and billed as such)."""
        return self.tracker.reasoning_tokens

    @property
    def total_tokens(self) -> int:
        return self.tracker.total_tokens

    @property
    def total_cost(self) -> Decimal | None:
        """The cost in US dollars, or None when part of it is unknown (see ``known_cost``)."""
        return self.tracker.total_cost

    @property
    def known_cost(self) -> Decimal:
        """The cost of every run whose model has a price and whose reply had usage."""
        return self.tracker.known_cost

    @property
    def unpriced_models(self) -> list[str]:
        return self.tracker.unpriced_models

    @property
    def by_model(self) -> dict[str, ModelCost]:
        return self.tracker.by_model

    def reset(self) -> None:
        """Forget the counts."""
        self.tracker.reset()

    def __repr__(self) -> str:
        return str(self.tracker)

    def __copy__(self) -> NebiusCallbackHandler:
        """The handler itself: copies of a run's configuration must count in the same place."""
        return self

    def __deepcopy__(self, memo: Any) -> NebiusCallbackHandler:
        return self


@contextmanager
def get_nebius_callback(
    *, client: NebiusClient | None = None, prices: PriceTable | None = None
) -> Iterator[NebiusCallbackHandler]:
    """Count the usage and cost of every Nebius run inside the block (see the module's
    documentation). ``client`` and ``prices`` are :class:`NebiusCallbackHandler`'s."""
    outer = _current.get()
    handler = NebiusCallbackHandler(
        client=client, prices=prices, parent=None if outer is None else outer.tracker
    )
    token = _current.set(handler)
    try:
        yield handler
    finally:
        _current.reset(token)
