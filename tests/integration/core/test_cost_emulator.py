"""Prices read from the emulator's verbose listing: once per client, exact, not keeping clients
alive; the cost of real replies."""

from __future__ import annotations

import asyncio
import gc
import weakref
from decimal import Decimal

import openai

from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.cost import aget_prices, fetch_prices, get_prices
from nebius_inference.testing import Emulator, default_models

LLAMA = "Qwen/Qwen3-235B-A22B-Instruct-2507"
SPECS = {spec.id: spec for spec in default_models()}


def _listings(emu: Emulator) -> int:
    return sum(r.query.get("verbose") == "true" for r in emu.requests("/v1/models", "GET"))


def test_every_listed_price_is_read_exactly(emu: Emulator) -> None:
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        table = fetch_prices(client)
    # The listing as the official SDK sees it (raw JSON), read independently of our types.
    with openai.OpenAI(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as sdk:
        raw = sdk.models.with_raw_response.list(extra_query={"verbose": "true"}).http_response
        listed = {m["id"]: m["pricing"] for m in raw.json()["data"]}
    assert set(table) == set(listed) == set(SPECS) and table.unpriced == frozenset()
    for model_id, pricing in listed.items():
        assert table[model_id].prompt == Decimal(pricing["prompt"])
        assert table[model_id].completion == Decimal(pricing["completion"])
    assert table[LLAMA].prompt == Decimal(SPECS[LLAMA].price_prompt)


def test_prices_are_read_once_per_client_and_do_not_keep_it_alive(emu: Emulator) -> None:
    client = NebiusClient(api_key=emu.api_key, base_url=emu.base_url)
    first = get_prices(client)
    assert get_prices(client) is first and _listings(emu) == 1
    assert get_prices(client, refresh=True) is not first and _listings(emu) == 2
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as other:
        get_prices(other)
    assert _listings(emu) == 3
    alive = weakref.ref(client)
    client.close()
    del client, first
    gc.collect()
    assert alive() is None


def test_async_prices_are_read_once_even_when_asked_concurrently(emu: Emulator) -> None:
    async def main() -> None:
        async with AsyncNebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
            tables = await asyncio.gather(*(aget_prices(client) for _ in range(5)))
            assert all(table is tables[0] for table in tables)
            assert LLAMA in tables[0]

    asyncio.run(main())
    assert _listings(emu) == 1
    asyncio.run(main())  # a new client on a new event loop reads its own
    assert _listings(emu) == 2


def test_the_cost_of_a_reply_is_its_usage_at_the_listed_price(emu: Emulator) -> None:
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        reply = client.create_chat_completion(
            model=LLAMA, messages=[{"role": "user", "content": "Name three rivers."}]
        )
        cost = get_prices(client).cost(reply.model, reply.usage)
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    spec = SPECS[LLAMA]
    expected = reply.usage.prompt_tokens * Decimal(spec.price_prompt) + (
        reply.usage.completion_tokens * Decimal(spec.price_completion)
    )
    assert cost == expected and cost > 0
