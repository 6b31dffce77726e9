"""``NebiusCostHandler`` fed events directly: which replies it counts, and how."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMChatStartEvent

from llama_index_nebius import NebiusCostHandler
from nebius_inference.cost import PriceTable
from nebius_inference.types import ChatCompletion, Model

LLAMA = "meta-llama/Llama-3.3-70B-Instruct"
PRICES = PriceTable.from_models(
    [Model(id=LLAMA, pricing={"prompt": "0.00000013", "completion": "0.0000004"})]
)
USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
COST = Decimal("0.0000033")  # 10 x 0.00000013 + 5 x 0.0000004


def start(span: str, class_name: str = "NebiusLLM") -> LLMChatStartEvent:
    model = {"class_name": class_name, "model_name": LLAMA}
    return LLMChatStartEvent(model_dict=model, messages=[], additional_kwargs={}, span_id=span)


def end(span: str, raw: Any = None, usage: dict[str, int] | None = None) -> LLMChatEndEvent:
    response = ChatResponse(
        message=ChatMessage(role="assistant", content="ok"), raw=raw, additional_kwargs=usage or {}
    )
    return LLMChatEndEvent(messages=[], response=response, span_id=span)


def completion() -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "c1",
            "model": LLAMA,
            "created": 1,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "ok"},
                    "finish_reason": "stop",
                }
            ],
            "usage": USAGE,
        }
    )


def test_a_reply_is_priced_from_its_raw_api_reply() -> None:
    handler = NebiusCostHandler(prices=PRICES)
    handler.handle(start("s"))
    handler.handle(end("s", raw=completion()))
    assert handler.requests == 1 and handler.total_cost == COST


def test_a_reply_of_ours_without_its_raw_reply_is_still_counted() -> None:
    handler = NebiusCostHandler(prices=PRICES)
    handler.handle(start("s"))
    handler.handle(end("s", usage=USAGE))  # a stream whose last response was built locally
    handler.handle(start("s"))
    handler.handle(end("s"))  # ... and one that never reported usage
    totals = handler.by_model[LLAMA]
    assert totals.requests == 2 and totals.unmetered_requests == 1
    assert handler.known_cost == COST and handler.total_cost is None


def test_other_providers_replies_are_not_counted() -> None:
    handler = NebiusCostHandler(prices=PRICES)
    handler.handle(start("s", class_name="MockLLM"))
    handler.handle(end("s", usage=USAGE))
    handler.handle(end("t", usage=USAGE))  # no start seen at all
    assert handler.requests == 0 and handler.by_model == {}


def test_replies_reported_by_a_batch_job_cost_half() -> None:
    handler = NebiusCostHandler(prices=PRICES)
    span = "report_batch_chats-4f1c"
    handler.handle(start(span))
    handler.handle(end(span, raw=completion()))
    assert handler.by_model[LLAMA].batch_requests == 1 and handler.total_cost == COST / 2
