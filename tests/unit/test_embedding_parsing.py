"""``CreateEmbeddingResponse.from_json``: the one reader of embeddings replies."""

from __future__ import annotations

import base64
import struct

import pytest

from nebius_inference.types import CreateEmbeddingResponse


def _b64(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def test_floats_ints_and_base64_give_the_same_floats() -> None:
    payload = {
        "object": "list",
        "model": "m",
        "data": [
            {"index": 1, "embedding": [1, 0.5, -2]},
            {"index": 0, "embedding": _b64([1.0, 0.5, -2.0])},
        ],
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
        "service_tier": "default",
    }
    reply = CreateEmbeddingResponse.from_json(payload)
    first, second = reply.vectors()
    assert first == second == [1.0, 0.5, -2.0]
    assert all(type(x) is float for x in second)
    assert reply.model_extra == {"service_tier": "default"}
    assert reply.usage is not None and reply.usage.total_tokens == 3


@pytest.mark.parametrize(
    "item", [{"embedding": ["a", 1]}, {"embedding": None}, {"index": 0}, {"embedding": {"x": 1}}]
)
def test_a_malformed_vector_is_an_error(item: dict[str, object]) -> None:
    with pytest.raises((TypeError, KeyError, ValueError)):
        CreateEmbeddingResponse.from_json({"data": [item]})
