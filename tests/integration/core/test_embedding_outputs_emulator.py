"""Compact and chunked embeddings over real sockets, checked against the official ``openai`` SDK
reading the same emulator: the same numbers, in the same order, in every shape."""

from __future__ import annotations

import contextlib
from array import array

import pytest

from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.testing import Emulator

MODEL = "Qwen/Qwen3-Embedding-8B"
TEXTS = [f"passage {i} about topic {i % 7}" for i in range(300)]


@pytest.fixture
def reference(emu: Emulator) -> list[list[float]]:
    openai = pytest.importorskip("openai", reason="the reference is the official openai SDK")
    with openai.OpenAI(api_key=emu.api_key, base_url=emu.base_url) as sdk:
        out: list[list[float]] = []
        for start in range(0, len(TEXTS), 100):
            reply = sdk.embeddings.create(
                model=MODEL, input=TEXTS[start : start + 100], encoding_format="float"
            )
            out.extend(item.embedding for item in sorted(reply.data, key=lambda d: d.index))
    return out


def test_every_shape_holds_the_sdks_numbers(
    client: NebiusClient, reference: list[list[float]]
) -> None:
    np = pytest.importorskip("numpy", reason="output='numpy' needs numpy")
    expected = np.asarray(reference, dtype=np.float32)
    lists = client.embed(TEXTS, model=MODEL, batch_size=64)
    arrays = client.embed(TEXTS, model=MODEL, batch_size=64, output="array")
    block = client.embed(TEXTS, model=MODEL, batch_size=64, output="numpy")
    assert np.array_equal(np.asarray(lists, dtype=np.float32), expected)
    assert np.array_equal(np.asarray([list(v) for v in arrays], dtype=np.float32), expected)
    assert block.dtype == np.float32 and np.array_equal(block, expected)
    chunks = list(
        client.iter_embeddings(TEXTS, model=MODEL, chunk_size=128, batch_size=50, output="numpy")
    )
    assert [start for start, _ in chunks] == [0, 128, 256]
    assert np.array_equal(np.concatenate([part for _, part in chunks]), expected)


async def test_async_chunks_hold_the_sdks_numbers(
    aclient: AsyncNebiusClient, reference: list[list[float]]
) -> None:
    got: list[list[float]] = []
    async with contextlib.aclosing(
        aclient.iter_embeddings(TEXTS, model=MODEL, batch_size=40, output="array")
    ) as chunks:
        async for start, vectors in chunks:
            assert start == len(got)
            got.extend(v.tolist() for v in vectors)
    assert got == [array("f", vector).tolist() for vector in reference]  # as float32
