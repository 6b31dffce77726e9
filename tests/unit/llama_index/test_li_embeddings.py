"""NebiusEmbedding: batching, concurrency cap, prefixes, dimensions, base64, secrets."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fakes import API_KEY, FakeAPI, embeddings_reply

from llama_index_nebius import NebiusEmbedding


def _echo(request: httpx.Request) -> httpx.Response:
    """One vector per input: [len(text), position in the batch]."""
    texts = json.loads(request.content)["input"]
    return httpx.Response(
        200, json=embeddings_reply([[float(len(t)), float(i)] for i, t in enumerate(texts)])
    )


@pytest.fixture
def echo(fake: FakeAPI) -> FakeAPI:
    fake.default = _echo
    return fake


def test_defaults_and_body(echo: FakeAPI) -> None:
    embed = NebiusEmbedding(**echo.clients())
    assert embed.model_name == "Qwen/Qwen3-Embedding-8B"
    assert embed.get_text_embedding("hello") == [5.0, 0.0]
    body = echo.body()
    assert body == {
        "model": "Qwen/Qwen3-Embedding-8B",
        "input": ["hello"],
        "encoding_format": "base64",
    }
    assert echo.requests[0].url.path.endswith("/embeddings")


def test_batches_follow_embed_batch_size(echo: FakeAPI) -> None:
    embed = NebiusEmbedding(embed_batch_size=10, **echo.clients())
    texts = [f"text number {i}" for i in range(25)]
    vectors = embed.get_text_embedding_batch(texts)
    assert [len(b["input"]) for b in echo.bodies] == [10, 10, 5]
    assert [v[0] for v in vectors] == [float(len(t)) for t in texts]  # input order kept


async def test_async_batches_keep_order(echo: FakeAPI) -> None:
    embed = NebiusEmbedding(embed_batch_size=4, **echo.clients())
    texts = [f"t{'x' * i}" for i in range(10)]
    vectors = await embed.aget_text_embedding_batch(texts)
    assert sorted(len(b["input"]) for b in echo.bodies) == [2, 4, 4]
    assert [v[0] for v in vectors] == [float(len(t)) for t in texts]


class InFlight:
    """An async handler that counts how many requests are open at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.calls = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.now += 1
        self.peak = max(self.peak, self.now)
        for _ in range(5):  # let the other tasks run while this request is "in flight"
            await asyncio.sleep(0)
        self.now -= 1
        await request.aread()
        return _echo(request)


@pytest.mark.parametrize(("max_concurrency", "num_workers"), [(2, None), (8, 3), (1, None)])
async def test_async_concurrency_is_capped(max_concurrency: int, num_workers: int | None) -> None:
    handler = InFlight()
    embed = NebiusEmbedding(
        api_key=API_KEY,
        embed_batch_size=2,
        max_concurrency=max_concurrency,
        num_workers=num_workers,
        async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    vectors = await embed.aget_text_embedding_batch([f"doc {i}" for i in range(20)])
    assert len(vectors) == 20
    assert handler.calls == 10
    assert handler.peak == min(max_concurrency, num_workers or max_concurrency)


def test_query_and_text_instructions(echo: FakeAPI) -> None:
    embed = NebiusEmbedding(
        query_instruction="Query: ", text_instruction="Passage: ", **echo.clients()
    )
    embed.get_query_embedding("cats")
    embed.get_text_embedding_batch(["dogs", "birds"])
    assert [b["input"] for b in echo.bodies] == [
        ["Query: cats"],
        ["Passage: dogs", "Passage: birds"],
    ]


async def test_async_query_embedding_uses_the_query_prefix(echo: FakeAPI) -> None:
    embed = NebiusEmbedding(query_instruction="Q: ", **echo.clients())
    assert await embed.aget_query_embedding("abc") == [6.0, 0.0]
    assert await embed.aget_text_embedding("abc") == [3.0, 0.0]


def test_dimensions_and_additional_kwargs_are_sent(echo: FakeAPI) -> None:
    embed = NebiusEmbedding(
        model_name="BAAI/bge-en-icl",
        dimensions=256,
        additional_kwargs={"user": "u1"},
        **echo.clients(),
    )
    embed.get_query_embedding("x")
    assert echo.body()["dimensions"] == 256
    assert echo.body()["user"] == "u1"
    assert echo.body()["model"] == "BAAI/bge-en-icl"


def test_model_alias(echo: FakeAPI) -> None:
    assert NebiusEmbedding(model="BAAI/bge-en-icl", **echo.clients()).model_name == (
        "BAAI/bge-en-icl"
    )


def test_key_is_not_serialised() -> None:
    embed = NebiusEmbedding(api_key=API_KEY)
    for text in (repr(embed), embed.to_json(), str(embed.to_dict()), str(embed.to_payload())):
        assert API_KEY not in text
    assert embed.to_dict()["class_name"] == "NebiusEmbedding"
