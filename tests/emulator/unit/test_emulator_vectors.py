"""Embedding vectors and rerank scores."""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any

import pytest

from nebius_inference.testing import EmulatorConfig
from nebius_inference.testing._embeddings import create_embeddings, embed_text
from nebius_inference.testing._errors import EmulatorError
from nebius_inference.testing._jsonutil import dumps
from nebius_inference.testing._rerank import relevance
from nebius_inference.testing._state import EmulatorState

MODEL = "Qwen/Qwen3-Embedding-8B"


def cosine(a: dict[int, float], b: dict[int, float]) -> float:
    return sum(value * b.get(index, 0.0) for index, value in a.items())


def norm(vector: dict[int, float]) -> float:
    return math.sqrt(sum(value * value for value in vector.values()))


@pytest.mark.parametrize("text", ["", "one", "The quick brown fox jumps over the lazy dog"])
def test_vectors_are_unit_length(text: str) -> None:
    assert norm(embed_text(text, 4096)) == pytest.approx(1.0, abs=1e-5)
    assert norm(embed_text(text, 4096, keep=64)) == pytest.approx(1.0, abs=1e-5)


def test_shared_words_make_vectors_closer() -> None:
    query = embed_text("How do cats sleep?", 4096)
    near = embed_text("Cats sleep for most of the day.", 4096)
    far = embed_text("The stock market fell sharply on Monday.", 4096)
    assert cosine(query, near) > cosine(query, far) + 0.2


def test_truncation_keeps_the_ordering() -> None:
    query = embed_text("solar panels produce electricity", 4096, keep=256)
    near = embed_text("electricity from solar panels", 4096, keep=256)
    far = embed_text("recipes for chocolate cake", 4096, keep=256)
    assert all(index < 256 for index in near)
    assert cosine(query, near) > cosine(query, far)


def test_vectors_are_deterministic() -> None:
    assert embed_text("same text", 4096) == embed_text("same text", 4096)


def _state() -> EmulatorState:
    return EmulatorState(EmulatorConfig())


def test_float_and_base64_agree() -> None:
    state = _state()
    as_float: Any = json.loads(dumps(create_embeddings(state, {"model": MODEL, "input": "x y"})))
    as_b64: Any = json.loads(
        dumps(
            create_embeddings(state, {"model": MODEL, "input": "x y", "encoding_format": "base64"})
        )
    )
    raw = base64.b64decode(as_b64["data"][0]["embedding"])
    decoded = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    assert decoded == as_float["data"][0]["embedding"]
    assert len(decoded) == 4096


def test_a_large_request_is_answered_whole() -> None:
    state = _state()
    texts = [f"document number {i} about topic {i % 17} and more words here" for i in range(256)]
    body = dumps(create_embeddings(state, {"model": MODEL, "input": texts}))
    data = json.loads(body)["data"]
    assert [item["index"] for item in data] == list(range(256))
    assert all(len(item["embedding"]) == 4096 for item in data)


def test_limits() -> None:
    state = EmulatorState(EmulatorConfig(max_embedding_inputs=3))
    with pytest.raises(EmulatorError) as too_many:
        create_embeddings(state, {"model": MODEL, "input": ["a"] * 4})
    assert too_many.value.status == 422
    with pytest.raises(EmulatorError) as too_big:
        create_embeddings(state, {"model": MODEL, "input": "a", "dimensions": 5000})
    assert too_big.value.status == 400
    with pytest.raises(EmulatorError) as wrong_kind:
        create_embeddings(state, {"model": "Qwen/Qwen3-235B-A22B-Instruct-2507", "input": "a"})
    assert wrong_kind.value.status == 400


def test_relevance() -> None:
    query = "capital of France"
    assert relevance(query, "Paris is the capital of France.") > relevance(
        query, "Berlin is in Germany."
    )
    for document in ["", "capital France", "nothing related"]:
        assert 0.0 <= relevance(query, document) <= 1.0
