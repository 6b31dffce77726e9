"""``get_nebius_callback()`` against the emulator's prices: every way a ChatNebius or NebiusLLM
run happens is counted once, at the listed price (the Batch API's at half), exactly.

Expected costs are computed here from the emulator's model table (the strings it lists) and
the usage on each reply; token totals are checked against langchain-core's own
``UsageMetadataCallbackHandler``.

The README's langchain-openai cell comes from reading langchain-community 0.4.2
(``callbacks/openai_info.py``): ``OpenAICallbackHandler`` prices only the models of its own
OpenAI table and adds 0 for any other model name, so Nebius models count as free.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import get_usage_metadata_callback
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_nebius import (
    ChatNebius,
    NebiusBadRequestError,
    NebiusCallbackHandler,
    NebiusEmbeddings,
    NebiusLLM,
    get_nebius_callback,
)
from langchain_nebius.batch import abatch_inference, batch_inference
from nebius_inference import NebiusClient
from nebius_inference.testing import Emulator, EmulatorConfig, Fault, ModelSpec, default_models

LLAMA = "Qwen/Qwen3-235B-A22B-Instruct-2507"
SMALL = "google/gemma-3-27b-it"
THINKER = "acme/Thinker-sglang"
UNPRICED = "acme/custom-lora"
MODELS = (
    *default_models(),
    ModelSpec(
        THINKER,
        tools=True,
        reasoning=True,
        backend="sglang",
        price_prompt="0.00000061",
        price_completion="0.0000025",
    ),
    ModelSpec(UNPRICED, tools=True, extra={"pricing": None}),
)
SPECS = {spec.id: spec for spec in MODELS}


def price(model: str, prompt: int, completion: int, *, batch: bool = False) -> Decimal:
    spec = SPECS[model]
    cost = prompt * Decimal(spec.price_prompt) + completion * Decimal(spec.price_completion)
    return cost / 2 if batch else cost


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
def conn(emu: Emulator) -> dict[str, Any]:
    return {"api_key": emu.api_key, "base_url": emu.base_url, "max_retries": 0}


@pytest.fixture
def client(emu: Emulator) -> Iterator[NebiusClient]:
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as own:
        yield own


def listings(emu: Emulator) -> int:
    return sum(r.query.get("verbose") == "true" for r in emu.requests("/v1/models", "GET"))


def usage_cost(messages: list[AIMessage], *, batch: bool = False) -> Decimal:
    total = Decimal(0)
    for message in messages:
        assert message.usage_metadata is not None
        model = message.response_metadata["model_name"]
        counts = message.usage_metadata
        total += price(model, counts["input_tokens"], counts["output_tokens"], batch=batch)
    return total


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class City(BaseModel):
    name: str
    country: str


def test_invoke_stream_batch_tools_and_structured_output_are_each_counted_once(
    conn: dict[str, Any], client: NebiusClient, emu: Emulator
) -> None:
    llm = ChatNebius(model=LLAMA, **conn)
    small = ChatNebius(model=SMALL, **conn)
    replies: list[AIMessage] = []
    with get_nebius_callback(client=client) as cb, get_usage_metadata_callback() as usage:
        replies.append(llm.invoke("Name a river."))
        streamed = None
        for chunk in small.stream("Count to three."):
            streamed = chunk if streamed is None else streamed + chunk
        assert isinstance(streamed, AIMessage)
        replies.append(streamed)
        replies += small.batch(["one", "two", "three"])
        replies.append(llm.bind_tools([get_weather], tool_choice="get_weather").invoke("Paris?"))
        structured = llm.with_structured_output(City, include_raw=True).invoke("Paris, France")
        replies.append(structured["raw"])
    assert replies[-2].tool_calls and structured["parsed"] is not None
    assert cb.successful_requests == 7 == len(emu.requests("/v1/chat/completions", "POST"))
    assert cb.by_model[LLAMA].requests == 3 and cb.by_model[SMALL].requests == 4
    assert cb.total_cost == usage_cost(replies) > 0
    assert cb.unpriced_models == [] and cb.known_cost == cb.total_cost
    # The same tokens as langchain-core's own usage handler counts.
    for model, counts in usage.usage_metadata.items():
        assert cb.by_model[model].prompt_tokens == counts["input_tokens"]
        assert cb.by_model[model].completion_tokens == counts["output_tokens"]
    assert cb.total_tokens == sum(c["total_tokens"] for c in usage.usage_metadata.values())
    assert listings(emu) == 1
    # Outside the block nothing more is counted.
    llm.invoke("again")
    assert cb.successful_requests == 7


def test_concurrent_runs_in_many_threads_are_all_counted(
    conn: dict[str, Any], client: NebiusClient
) -> None:
    llm = ChatNebius(model=SMALL, max_tokens=8, **conn)
    with get_nebius_callback(client=client) as cb:
        replies = llm.batch([f"question {i}" for i in range(60)], config={"max_concurrency": 16})
    assert cb.successful_requests == 60 and cb.total_cost == usage_cost(replies)
    assert copy.deepcopy(cb) is cb and copy.copy(cb) is cb


def test_every_model_call_of_an_agent_is_counted(
    conn: dict[str, Any], client: NebiusClient, emu: Emulator
) -> None:
    agent = create_agent(ChatNebius(model=LLAMA, **conn), [get_weather])
    with get_nebius_callback(client=client) as cb:
        out = agent.invoke({"messages": [("user", "Weather in Paris? Use get_weather.")]})
    replies = [m for m in out["messages"] if isinstance(m, AIMessage)]
    assert any(m.tool_calls for m in replies)
    assert cb.successful_requests == len(replies) == len(emu.requests("/v1/chat/completions"))
    assert cb.total_cost == usage_cost(replies)


def test_async_runs_are_counted(conn: dict[str, Any], client: NebiusClient) -> None:
    llm = ChatNebius(model=LLAMA, **conn)

    async def main() -> list[AIMessage]:
        replies = list(await asyncio.gather(*(llm.ainvoke(f"q{i}") for i in range(4))))
        merged = None
        async for chunk in llm.astream("stream me"):
            merged = chunk if merged is None else merged + chunk
        assert isinstance(merged, AIMessage)
        return [*replies, merged, *(await llm.abatch(["a", "b"]))]

    with get_nebius_callback(client=client) as cb:
        replies = asyncio.run(main())
    assert cb.successful_requests == 7
    assert cb.total_cost == usage_cost(replies)


def test_nebius_llm_invoke_stream_and_several_prompts(
    conn: dict[str, Any], client: NebiusClient
) -> None:
    llm = NebiusLLM(model=SMALL, max_tokens=16, **conn)
    with get_nebius_callback(client=client) as cb:
        result = llm.generate(["Once upon", "a time"])
        text = "".join(llm.stream("Count"))
    assert text
    usage = result.llm_output["token_usage"] if result.llm_output else {}
    streamed = cb.by_model[SMALL]
    # generate() is one run per prompt; its usage is reported once, on the first.
    assert streamed.requests == 3 and streamed.unmetered_requests == 0
    assert streamed.prompt_tokens > usage["prompt_tokens"] > 0
    stream_prompt = streamed.prompt_tokens - usage["prompt_tokens"]
    stream_completion = streamed.completion_tokens - usage["completion_tokens"]
    assert stream_completion > 0
    assert cb.total_cost == price(
        SMALL, usage["prompt_tokens"], usage["completion_tokens"]
    ) + price(SMALL, stream_prompt, stream_completion)


def test_reasoning_tokens_are_counted_and_billed_as_completion(
    conn: dict[str, Any], client: NebiusClient
) -> None:
    llm = ChatNebius(model=THINKER, **conn)
    with get_nebius_callback(client=client) as cb:
        reply = llm.invoke("Why is the sky blue?")
    assert reply.usage_metadata is not None
    reasoning = reply.usage_metadata.get("output_token_details", {}).get("reasoning")
    assert reasoning and cb.reasoning_tokens == reasoning
    assert cb.completion_tokens == reply.usage_metadata["output_tokens"] > reasoning
    assert cb.total_cost == usage_cost([reply])


def test_an_unpriced_model_is_named_and_not_counted_as_free(
    conn: dict[str, Any], client: NebiusClient
) -> None:
    with get_nebius_callback(client=client) as cb:
        priced = ChatNebius(model=LLAMA, **conn).invoke("hi")
        ChatNebius(model=UNPRICED, **conn).invoke("hi")
    assert cb.unpriced_models == [UNPRICED]
    assert cb.by_model[UNPRICED].cost is None and cb.by_model[UNPRICED].prompt_tokens > 0
    assert cb.total_cost is None and cb.known_cost == usage_cost([priced])
    assert "no price" in repr(cb) and "(incomplete)" in repr(cb)


def test_batch_api_results_are_counted_at_half_price(
    conn: dict[str, Any], client: NebiusClient
) -> None:
    llm = ChatNebius(model=SMALL, max_tokens=8, **conn)
    with get_nebius_callback(client=client) as cb:
        replies = batch_inference(llm, ['Say "a"', 'Say "b"', 'Say "c"'])
        replies += asyncio.run(abatch_inference(llm, ['Say "d"']))
    totals = cb.by_model[SMALL]
    assert totals.requests == totals.batch_requests == 4
    assert cb.total_cost == usage_cost(replies, batch=True) > 0
    assert cb.total_cost == usage_cost(replies) / 2


def test_blocks_nest_and_failed_runs_cost_nothing(
    conn: dict[str, Any], client: NebiusClient, emu: Emulator
) -> None:
    llm = ChatNebius(model=LLAMA, **conn)
    with get_nebius_callback(client=client) as outer:
        first = llm.invoke("outer")
        with get_nebius_callback(client=client) as inner:
            second = llm.invoke("inner")
            emu.inject(Fault("error", status=400))
            with pytest.raises(NebiusBadRequestError):
                llm.invoke("fails")
        third = llm.invoke("outer again")
    assert inner.successful_requests == 1 and inner.total_cost == usage_cost([second])
    assert outer.successful_requests == 3
    assert outer.total_cost == usage_cost([first, second, third])


def test_an_explicit_handler_counts_only_nebius_runs(
    conn: dict[str, Any], client: NebiusClient
) -> None:
    handler = NebiusCallbackHandler(client=client)
    other = GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(
                    "hi",
                    usage_metadata={"input_tokens": 5, "output_tokens": 5, "total_tokens": 10},
                    response_metadata={"model_name": LLAMA},
                )
            ]
        )
    )
    other.invoke("hello", config={"callbacks": [handler]})
    reply = ChatNebius(model=LLAMA, **conn).invoke("hello", config={"callbacks": [handler]})
    NebiusEmbeddings(**conn).embed_documents(["not reported to callbacks"])
    assert handler.successful_requests == 1 and handler.total_cost == usage_cost([reply])


def test_prices_come_from_the_environment_or_say_why_not(
    conn: dict[str, Any], emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = ChatNebius(model=LLAMA, **conn)
    with get_nebius_callback() as cb:  # no key in the environment: no prices, no failure
        reply = llm.invoke("hi")
    assert cb.total_cost is None and cb.unpriced_models == [LLAMA]
    assert "NEBIUS_API_KEY" in str(cb.tracker.pricing_error)
    assert reply.usage_metadata is not None
    assert cb.by_model[LLAMA].prompt_tokens == reply.usage_metadata["input_tokens"]

    # A common slip: passing the chat model instead of a client.
    with pytest.raises(TypeError, match="must be a NebiusClient, not ChatNebius"):
        get_nebius_callback(client=llm).__enter__()  # type: ignore[arg-type]

    monkeypatch.setenv("NEBIUS_API_KEY", emu.api_key)
    monkeypatch.setenv("NEBIUS_BASE_URL", emu.base_url)
    with get_nebius_callback() as cb:
        reply = llm.invoke("hi")
    assert cb.total_cost == usage_cost([reply])
