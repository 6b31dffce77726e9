"""``NebiusCostHandler`` on LlamaIndex's root dispatcher, against the emulator's prices: every
NebiusLLM reply is counted once at the listed price (the Batch API's at half), exactly;
embedding calls are counted but their cost is reported unknown, not zero.

Expected costs are computed here from the emulator's model table (the strings it lists) and
the usage on each raw reply.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.llms import MockLLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_nebius import NebiusCostHandler, NebiusEmbedding, NebiusLLM
from llama_index_nebius.batch import abatch_inference, batch_inference
from nebius_inference import NebiusClient
from nebius_inference.cost import PriceTable, fetch_prices
from nebius_inference.testing import Emulator, EmulatorConfig, ModelSpec, default_models

LLAMA = "Qwen/Qwen3-235B-A22B-Instruct-2507"
SMALL = "google/gemma-3-27b-it"
EMBED = "Qwen/Qwen3-Embedding-8B"
THINKER = "acme/Thinker-sglang"
UNPRICED = "acme/custom-lora"
MODELS = (
    *default_models(),
    ModelSpec(
        THINKER,
        reasoning=True,
        backend="sglang",
        price_prompt="0.00000061",
        price_completion="0.0000025",
    ),
    ModelSpec(UNPRICED, extra={"pricing": None}),
)
SPECS = {spec.id: spec for spec in MODELS}

# FunctionAgent inspects its own members (llama-index-workflows), which touches pydantic's
# deprecated instance attributes; only those warnings, raised from ``inspect``, are ignored.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20:inspect"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211:inspect"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(models=MODELS)) as emulator:
        yield emulator


@pytest.fixture
def emu(server: Emulator) -> Iterator[Emulator]:
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def connect(emu: Emulator) -> dict[str, Any]:
    return {"api_key": emu.api_key, "base_url": emu.base_url}


@pytest.fixture(scope="module")
def prices(server: Emulator) -> PriceTable:
    with NebiusClient(api_key=server.api_key, base_url=server.base_url) as client:
        return fetch_prices(client)


@pytest.fixture
def cost(prices: PriceTable) -> Iterator[NebiusCostHandler]:
    """A handler on the root dispatcher for the test's duration."""
    handler = NebiusCostHandler(prices=prices)
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        yield handler
    finally:
        root.event_handlers.remove(handler)


def price(response: ChatResponse | CompletionResponse, *, batch: bool = False) -> Decimal:
    raw = response.raw
    assert raw is not None and raw.usage is not None
    spec = SPECS[raw.model]
    total = raw.usage.prompt_tokens * Decimal(spec.price_prompt) + (
        raw.usage.completion_tokens * Decimal(spec.price_completion)
    )
    return total / 2 if batch else total


def chats(emu: Emulator) -> int:
    return len(emu.requests("/v1/chat/completions", "POST"))


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


class Invoice(BaseModel):
    vendor: str
    total: float


def test_chat_complete_streams_and_structured_output_are_each_counted_once(
    cost: NebiusCostHandler, connect: dict[str, Any], emu: Emulator
) -> None:
    llm = NebiusLLM(model=LLAMA, **connect)
    small = NebiusLLM(model=SMALL, **connect)
    responses: list[ChatResponse | CompletionResponse] = [
        llm.chat(user("Name a river.")),
        small.complete("Once upon a time"),
        list(llm.stream_chat(user("Count to three.")))[-1],
        list(small.stream_complete("Count"))[-1],
    ]
    invoice = llm.structured_predict(
        Invoice, PromptTemplate("Invoice from {vendor}, total 12.5"), vendor="Acme"
    )
    assert isinstance(invoice, Invoice)
    assert cost.requests == 5 == chats(emu)
    assert cost.by_model[LLAMA].requests == 3 and cost.by_model[SMALL].requests == 2
    structured = cost.by_model[LLAMA].cost
    assert structured is not None
    expected = sum((price(r) for r in responses), Decimal(0))
    # The structured call's reply is not returned; its share is what is left, and positive.
    assert cost.total_cost is not None and cost.total_cost > expected > 0
    assert cost.unpriced_models == [] and cost.known_cost == cost.total_cost
    before = cost.total_cost
    response = llm.chat(user("one more"))
    assert cost.total_cost == before + price(response)


async def test_async_calls_and_an_agent_are_counted(
    cost: NebiusCostHandler, connect: dict[str, Any], emu: Emulator
) -> None:
    llm = NebiusLLM(model=LLAMA, **connect)
    first = await llm.achat(user("hello"))
    streamed = [response async for response in await llm.astream_chat(user("stream"))]
    last = streamed[-1]
    assert cost.total_cost == price(first) + price(last)

    def multiply(a: int, b: int) -> int:
        """Multiply two numbers."""
        return a * b

    agent = FunctionAgent(tools=[FunctionTool.from_defaults(multiply)], llm=llm)
    await agent.run("multiply(6, 7)?")
    # Every chat request the agent made is counted once (a tool call, then the answer).
    assert chats(emu) >= 4 and cost.requests == chats(emu)


def test_reasoning_and_unpriced_models(cost: NebiusCostHandler, connect: dict[str, Any]) -> None:
    thought = NebiusLLM(model=THINKER, **connect).chat(user("Why is the sky blue?"))
    NebiusLLM(model=UNPRICED, **connect).chat(user("hi"))
    assert thought.raw is not None and thought.raw.usage.reasoning_tokens
    assert cost.reasoning_tokens == thought.raw.usage.reasoning_tokens
    assert cost.unpriced_models == [UNPRICED] and cost.by_model[UNPRICED].prompt_tokens > 0
    assert cost.total_cost is None and cost.known_cost == price(thought)


async def test_embedding_calls_are_counted_without_pretending_to_know_their_cost(
    cost: NebiusCostHandler, connect: dict[str, Any]
) -> None:
    embed = NebiusEmbedding(embed_batch_size=2, **connect)
    await embed.aget_text_embedding_batch(["a", "b", "c"])  # two requests, in one span
    embed.get_query_embedding("query")
    response = NebiusLLM(model=LLAMA, **connect).chat(user("answer"))
    totals = cost.by_model[EMBED]
    assert totals.requests == totals.unmetered_requests == 3 and not totals.complete
    assert cost.total_cost is None and cost.known_cost == price(response)
    assert "3 without usage" in str(cost)


def test_batch_api_results_are_counted_at_half_price(
    cost: NebiusCostHandler, connect: dict[str, Any]
) -> None:
    llm = NebiusLLM(model=SMALL, max_tokens=8, **connect)
    responses = batch_inference(llm, ['Say "a"', 'Say "b"', 'Say "c"'])
    totals = cost.by_model[SMALL]
    assert totals.requests == totals.batch_requests == 3
    assert cost.total_cost == sum((price(r, batch=True) for r in responses), Decimal(0)) > 0


async def test_async_batch_api_results_are_counted_at_half_price(
    cost: NebiusCostHandler, connect: dict[str, Any]
) -> None:
    llm = NebiusLLM(model=SMALL, max_tokens=8, **connect)
    responses = await abatch_inference(llm, ['Say "d"', 'Say "e"'])
    assert cost.by_model[SMALL].batch_requests == 2
    assert cost.total_cost == sum((price(r) for r in responses), Decimal(0)) / 2


def test_other_providers_are_not_counted(cost: NebiusCostHandler) -> None:
    MockLLM().chat(user("hello"))
    MockLLM().complete("hello")
    assert cost.requests == 0 and cost.by_model == {}
