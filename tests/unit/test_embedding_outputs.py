"""Compact embeddings (``array('f')``, one numpy block) decoded from base64 without floats, and
``iter_embeddings``: chunks in input order with a bounded number of requests in flight."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import sys
import threading
import tracemalloc
from array import array
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fakes import API_KEY, FakeAPI, Handler

from nebius_inference import (
    APIResponseValidationError,
    AsyncNebiusClient,
    ConfigurationError,
    InvalidRequestError,
)
from nebius_inference._vectors import decode_vectors
from nebius_inference.batch import BatchProgress

DIMS = 8


def _vector(text: str) -> list[float]:
    # Exactly representable in float32, so every shape compares equal.
    return [float(len(text)), float(sum(map(ord, text)) % 97)] + [0.5 * i for i in range(DIMS - 2)]


class Server:
    """Answers embeddings (base64 or float, in reverse order); counts requests in flight."""

    def __init__(self, *, drop_last: bool = False) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.sizes: list[int] = []
        self.drop_last = drop_last
        self.release = threading.Event()
        self.release.set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            self.release.wait(30)
            body = json.loads(request.content)
            texts = body["input"]
            with self.lock:
                self.sizes.append(len(texts))
            as_b64 = body.get("encoding_format") == "base64"
            data = [
                {
                    "index": i,
                    "embedding": base64.b64encode(array("f", _vector(t)).tobytes()).decode()
                    if as_b64
                    else _vector(t),
                }
                for i, t in reversed(list(enumerate(texts)))
            ]
            if self.drop_last:
                data = data[1:]
            return httpx.Response(200, json={"data": data, "model": body["model"]})
        finally:
            with self.lock:
                self.in_flight -= 1


TEXTS = [f"text number {i}" for i in range(95)]


def test_array_output_is_float32_arrays_equal_to_the_lists(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    client = recorder(Server()).sync_client()
    lists = client.embed(TEXTS, model="e", batch_size=10)
    arrays = client.embed(TEXTS, model="e", batch_size=10, output="array")
    assert lists == [_vector(t) for t in TEXTS]
    assert all(isinstance(v, array) and v.typecode == "f" for v in arrays)
    assert [v.tolist() for v in arrays] == lists


def test_numpy_output_is_one_contiguous_float32_block(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    np = pytest.importorskip("numpy", reason="output='numpy' needs numpy")
    client = recorder(Server()).sync_client()
    block = client.embed(TEXTS, model="e", batch_size=10, max_concurrency=3, output="numpy")
    assert block.shape == (len(TEXTS), DIMS)
    assert block.dtype == np.float32 and block.flags["C_CONTIGUOUS"] and block.flags.writeable
    assert block.tolist() == [_vector(t) for t in TEXTS]
    assert client.embed([], model="e", output="numpy").shape == (0, 0)


def test_float_json_replies_also_come_back_compact(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    client = recorder(Server()).sync_client()
    arrays = client.embed(TEXTS[:5], model="e", output="array", encoding_format="float")
    assert [v.tolist() for v in arrays] == [_vector(t) for t in TEXTS[:5]]


def test_compact_decoding_builds_no_python_floats() -> None:
    dims, count = 1024, 64
    raw = array("f", [0.25] * dims).tobytes()
    b64 = base64.b64encode(raw).decode()
    content = json.dumps({"data": [{"index": i, "embedding": b64} for i in range(count)]}).encode()

    def peak(output: Any) -> int:
        tracemalloc.start()
        result = decode_vectors(content, output, count)
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del result
        return size

    as_lists, as_arrays = peak("list"), peak("array")
    # 64 x 1,024 Python floats take at least 24 bytes each; float32 takes 4.
    assert as_lists > count * dims * 24
    assert as_arrays < count * dims * 8 + len(content) * 2


def test_without_numpy_the_error_names_the_fix_and_nothing_is_sent(
    recorder: Callable[[Handler], FakeAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = recorder(Server())
    client = server.sync_client()
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now raises ImportError
    with pytest.raises(ConfigurationError, match=r"pip install numpy.*output='array'"):
        client.embed(["a"], model="e", output="numpy")
    with pytest.raises(ConfigurationError, match="pip install numpy"):
        client.iter_embeddings(["a"], model="e", output="numpy")
    with pytest.raises(InvalidRequestError, match="output must be one of"):
        client.embed(["a"], model="e", output="tuple")  # type: ignore[call-overload]
    with pytest.raises(InvalidRequestError, match="chunk_size"):
        client.iter_embeddings(["a"], model="e", chunk_size=0)
    assert server.requests == []


def test_a_reply_with_missing_vectors_is_an_error(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    client = recorder(Server(drop_last=True)).sync_client()
    with pytest.raises(APIResponseValidationError, match="holds 2 vectors for 3 texts"):
        client.embed(["a", "b", "c"], model="e", output="array")


def test_iter_embeddings_yields_chunks_in_order_with_few_requests_ahead(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    handler = Server()
    server = recorder(handler)
    client = server.sync_client()
    seen: list[tuple[int, int, int]] = []
    for start, vectors in client.iter_embeddings(
        TEXTS, model="e", chunk_size=25, batch_size=10, max_concurrency=2, output="array"
    ):
        seen.append((start, len(vectors), len(server.requests)))
        assert [v.tolist() for v in vectors] == [_vector(t) for t in TEXTS[start : start + 25]]
    assert [(s, n) for s, n, _ in seen] == [(0, 25), (25, 25), (50, 25), (75, 20)]
    # each chunk of 25 is sent as requests of 10, 10 and 5, in order
    assert sorted(handler.sizes) == sorted([10, 10, 5] * 3 + [10, 10])
    # When a chunk is handed over, at most max_concurrency requests beyond it have been sent.
    requests_through = [3, 6, 9, 11]
    for (_, _, sent), through in zip(seen, requests_through, strict=True):
        assert sent <= through + 2
    assert handler.peak <= 2


def test_leaving_the_loop_early_stops_sending(recorder: Callable[[Handler], FakeAPI]) -> None:
    server = recorder(Server())
    client = server.sync_client()
    chunks = client.iter_embeddings(TEXTS, model="e", batch_size=5, max_concurrency=3)
    start, vectors = next(chunks)
    assert (start, vectors) == (0, [_vector(t) for t in TEXTS[:5]])
    chunks.close()  # what a `break` out of a for loop does once the iterator is dropped
    sent = len(server.requests)
    assert sent <= 1 + 3
    assert len(server.requests) == sent
    assert not [t for t in threading.enumerate() if t.name.startswith("ThreadPoolExecutor")]


def test_progress_callback_and_bar_reuse_the_batch_progress(
    recorder: Callable[[Handler], FakeAPI],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = recorder(Server()).sync_client()
    reports: list[BatchProgress] = []
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # the one-line display
    client.embed(TEXTS, model="e", batch_size=40, on_progress=reports.append, progress_bar=True)
    assert [(p.completed, p.parts_done, p.parts, p.total) for p in reports] == [
        (40, 1, 3, 95),
        (80, 2, 3, 95),
        (95, 3, 3, 95),
    ]
    assert reports[-1].done and reports[-1].failed == 0
    err = capsys.readouterr().err
    assert "embeddings: 95/95 texts (0 failed), 3/3 batches done" in err


async def test_async_iter_embeddings_in_order_bounded_and_cancelled_on_exit() -> None:
    gate = {"now": 0, "max": 0}
    inner = Server()
    sent: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        gate["now"] += 1
        gate["max"] = max(gate["max"], gate["now"])
        await asyncio.sleep(0.001)
        gate["now"] -= 1
        return inner(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AsyncNebiusClient(api_key=API_KEY, http_client=http)
    got: list[tuple[int, Any]] = []
    async for start, vectors in client.iter_embeddings(
        TEXTS, model="e", chunk_size=30, batch_size=10, max_concurrency=3, output="array"
    ):
        got.append((start, [v.tolist() for v in vectors]))
    assert [s for s, _ in got] == [0, 30, 60, 90]
    assert [v for _, part in got for v in part] == [_vector(t) for t in TEXTS]
    assert 1 < gate["max"] <= 3

    sent.clear()
    async with contextlib.aclosing(
        client.iter_embeddings(TEXTS, model="e", batch_size=5, max_concurrency=2)
    ) as chunks:
        async for start, _vectors in chunks:
            assert start == 0
            break
    await asyncio.sleep(0.01)
    assert len(sent) <= 1 + 2
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    reports: list[BatchProgress] = []
    block = await client.embed(TEXTS, model="e", batch_size=50, on_progress=reports.append)
    assert block == [_vector(t) for t in TEXTS] and reports[-1].completed == 95
    await http.aclose()


def test_replies_of_different_widths_do_not_fit_one_numpy_block(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    pytest.importorskip("numpy", reason="output='numpy' needs numpy")
    widths = iter([4, 6])

    def handler(request: httpx.Request) -> httpx.Response:
        texts = json.loads(request.content)["input"]
        raw = base64.b64encode(array("f", [1.0] * next(widths)).tobytes()).decode()
        data = [{"index": i, "embedding": raw} for i in range(len(texts))]
        return httpx.Response(200, json={"data": data})

    client = recorder(handler).sync_client()
    with pytest.raises(APIResponseValidationError, match=r"different lengths.*output='array'"):
        client.embed(["a", "b", "c"], model="e", batch_size=2, max_concurrency=1, output="numpy")
