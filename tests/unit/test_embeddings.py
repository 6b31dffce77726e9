"""Embeddings: base64 decoded in one step, batched, bounded concurrency, input order kept."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from array import array
from collections.abc import Callable

import httpx
import pytest
from fakes import FakeAPI, Handler

from nebius_inference import InvalidRequestError
from nebius_inference._base import decode_base64_embedding


def _vector(text: str) -> list[float]:
    return [float(len(text)), float(sum(map(ord, text)) % 97), 0.5]


def _encode(vector: list[float]) -> str:
    return base64.b64encode(array("f", vector).tobytes()).decode()


class Tracker:
    def __init__(self, delay: float = 0.0) -> None:
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.delay = delay
        self.batch_sizes: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            body = json.loads(request.content)
            texts = body["input"]
            self.batch_sizes.append(len(texts))
            as_b64 = body.get("encoding_format") == "base64"
            data = [
                {"index": i, "embedding": _encode(_vector(t)) if as_b64 else _vector(t)}
                for i, t in reversed(list(enumerate(texts)))
            ]
            return httpx.Response(200, json={"data": data, "model": body["model"]})
        finally:
            with self.lock:
                self.in_flight -= 1


def test_base64_decodes_to_the_same_floats() -> None:
    vector = [0.25, -1.5, 3.0, 1e-3]
    assert decode_base64_embedding(_encode(vector)) == pytest.approx(vector)


def test_embed_batches_in_order_with_bounded_concurrency(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    tracker = Tracker(delay=0.01)
    server = recorder(tracker)
    texts = [f"text number {i}" for i in range(1000)]
    vectors = server.sync_client().embed(texts, model="e", batch_size=100, max_concurrency=3)
    assert vectors == [pytest.approx(_vector(t)) for t in texts]
    assert tracker.batch_sizes and sorted(tracker.batch_sizes) == [100] * 10
    assert 1 < tracker.peak <= 3
    assert all(json.loads(r.content)["encoding_format"] == "base64" for r in server.requests)


async def test_async_embed_bounded_and_ordered(recorder: Callable[[Handler], FakeAPI]) -> None:
    peak = {"now": 0, "max": 0}
    inner = Tracker()

    async def handler(request: httpx.Request) -> httpx.Response:
        peak["now"] += 1
        peak["max"] = max(peak["max"], peak["now"])
        await asyncio.sleep(0.001)
        peak["now"] -= 1
        return inner(request)

    client_http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    from nebius_inference import AsyncNebiusClient

    texts = [f"t{i}" for i in range(250)]
    async with AsyncNebiusClient(api_key="k", http_client=client_http) as client:
        vectors = await client.embed(texts, model="e", batch_size=10, max_concurrency=4)
    await client_http.aclose()
    assert vectors == [pytest.approx(_vector(t)) for t in texts]
    assert len(inner.batch_sizes) == 25
    assert 1 < peak["max"] <= 4


def test_float_replies_and_empty_input(recorder: Callable[[Handler], FakeAPI]) -> None:
    server = recorder(Tracker())
    client = server.sync_client()
    reply = client.create_embeddings(model="e", input=["ab", "c"], encoding_format="float")
    assert reply.vectors() == [pytest.approx(_vector("ab")), pytest.approx(_vector("c"))]
    assert client.embed([], model="e") == []
    assert len(server.requests) == 1
    with pytest.raises(InvalidRequestError, match="list"):
        client.embed("one text", model="e")
    with pytest.raises(InvalidRequestError, match="batch_size"):
        client.embed(["a"], model="e", batch_size=0)
