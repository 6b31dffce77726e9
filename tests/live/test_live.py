"""A few calls against the real API. Opt-in: ``pytest tests/live --live`` with NEBIUS_API_KEY.

Models can be chosen with NEBIUS_LIVE_CHAT_MODEL and NEBIUS_LIVE_EMBED_MODEL (the catalogue
changes; see ``client.list_models()``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from nebius_inference import NebiusClient

pytestmark = pytest.mark.live

CHAT_MODEL = os.environ.get("NEBIUS_LIVE_CHAT_MODEL", "Qwen/Qwen3-235B-A22B-Instruct-2507")
EMBED_MODEL = os.environ.get("NEBIUS_LIVE_EMBED_MODEL", "Qwen/Qwen3-Embedding-8B")
# Read at import (collection), before the autouse fixture clears the environment for each test.
LIVE_API_KEY = os.environ.get("NEBIUS_API_KEY", "")
LIVE_BASE_URL = os.environ.get("NEBIUS_BASE_URL") or os.environ.get("NEBIUS_API_BASE")


@pytest.fixture(scope="module")
def client() -> Iterator[NebiusClient]:
    with NebiusClient(api_key=LIVE_API_KEY, base_url=LIVE_BASE_URL) as client:
        yield client


def test_models_list_the_chat_model(client: NebiusClient) -> None:
    assert client.list_models().get(CHAT_MODEL) is not None


def test_chat_and_stream(client: NebiusClient) -> None:
    messages = [{"role": "user", "content": "Reply with the single word: pong"}]
    reply = client.create_chat_completion(model=CHAT_MODEL, messages=messages, max_tokens=5)
    assert reply.choices[0].message.content and reply.usage and reply.usage.total_tokens > 0
    with client.stream_chat_completion(model=CHAT_MODEL, messages=messages, max_tokens=5) as s:
        chunks = list(s)
        assert s.completed
    assert chunks[-1].usage is not None


def test_embeddings(client: NebiusClient) -> None:
    vectors = client.embed(["a cat", "a kitten", "a tax form"], model=EMBED_MODEL)

    def dot(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b))

    assert dot(vectors[0], vectors[1]) > dot(vectors[0], vectors[2])


def test_langchain_chat_model() -> None:
    from langchain_nebius import ChatNebius

    llm = ChatNebius(model=CHAT_MODEL, api_key=LIVE_API_KEY, base_url=LIVE_BASE_URL, max_tokens=5)
    message = llm.invoke("Reply with the single word: pong")
    assert message.content and message.usage_metadata


def test_llama_index_llm() -> None:
    from llama_index.core.llms import ChatMessage

    from llama_index_nebius import NebiusLLM

    llm = NebiusLLM(model=CHAT_MODEL, api_key=LIVE_API_KEY, base_url=LIVE_BASE_URL, max_tokens=5)
    assert llm.chat([ChatMessage(role="user", content="Reply with: pong")]).message.content


def test_the_listing_prices_the_chat_model_and_a_reply_has_a_cost(client: NebiusClient) -> None:
    from langchain_nebius import ChatNebius, get_nebius_callback
    from nebius_inference.cost import get_prices

    prices = get_prices(client)
    assert prices[CHAT_MODEL].prompt > 0 and prices[CHAT_MODEL].completion > 0
    llm = ChatNebius(model=CHAT_MODEL, api_key=LIVE_API_KEY, base_url=LIVE_BASE_URL, max_tokens=5)
    with get_nebius_callback(client=client) as cb:
        llm.invoke("Reply with the single word: pong")
    assert cb.unpriced_models == [] and cb.total_cost is not None and cb.total_cost > 0
