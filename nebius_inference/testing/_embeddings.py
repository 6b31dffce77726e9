"""Embeddings from hashed words: texts that share words get close vectors.

Each lower-cased, lightly stemmed word is hashed (BLAKE2b) to a few signed buckets; the
buckets of all words are summed and the vector is L2-normalised. Later buckets of a word
fall in ever smaller prefixes of the vector, so truncating to ``dimensions`` keeps most of
the signal (the vector is then renormalised). Vectors are sparse, which keeps a request of
hundreds of 4096-dimension vectors fast without numpy.
"""

from __future__ import annotations

import base64
import hashlib
import math
import sys
from array import array
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ._errors import EmulatorError, parse_body, validation_error
from ._jsonutil import RawJSON, stable_int
from ._requests import EmbeddingRequest
from ._tokens import STOPWORDS, count_tokens, stem, words

if TYPE_CHECKING:
    from ._state import EmulatorState

__all__ = ["create_embeddings", "embed_text"]

_BUCKETS_PER_WORD = 8
_STOPWORD_WEIGHT = 0.2


@lru_cache(maxsize=65536)
def _word_buckets(word: str, dim: int) -> tuple[tuple[int, float], ...]:
    digest = hashlib.blake2b(word.encode(), digest_size=4 * _BUCKETS_PER_WORD).digest()
    out: list[tuple[int, float]] = []
    for j in range(_BUCKETS_PER_WORD):
        value = int.from_bytes(digest[4 * j : 4 * j + 4], "little")
        span = max(min(dim, 16), dim >> j)
        out.append(((value >> 1) % span, 1.0 if value & 1 else -1.0))
    return tuple(out)


def _sparse(text: str, dim: int) -> dict[int, float]:
    vector: dict[int, float] = {}
    tokens = words(text) or ["<empty>"]
    for word in tokens:
        low = word.lower()
        weight = _STOPWORD_WEIGHT if low in STOPWORDS else 1.0
        for index, sign in _word_buckets(stem(low), dim):
            vector[index] = vector.get(index, 0.0) + sign * weight
    return vector


def embed_text(text: str, dim: int, keep: int | None = None) -> dict[int, float]:
    """Return the unit vector of ``text`` as ``{index: value}`` (float32-rounded).

    ``dim`` is the model's size; ``keep`` truncates to that many leading dimensions.
    """
    size = dim if keep is None else min(keep, dim)
    vector = {index: value for index, value in _sparse(text, dim).items() if index < size}
    vector = {index: value for index, value in vector.items() if value != 0.0}
    if not vector:
        vector = {index: value for index, value in _sparse(text, size).items() if value != 0.0}
    if not vector:
        vector = {stable_int(text, bits=32) % size: 1.0}
    norm = math.sqrt(sum(value * value for value in vector.values()))
    rounded = array("f", [value / norm for value in vector.values()]).tolist()
    return dict(zip(vector.keys(), rounded))


def _as_float_json(vector: dict[int, float], size: int) -> RawJSON:
    parts = ["0.0"] * size
    for index, value in vector.items():
        parts[index] = repr(value)
    return RawJSON("[" + ",".join(parts) + "]")


def _as_base64(vector: dict[int, float], size: int) -> str:
    values = array("f", bytes(4 * size))
    for index, value in vector.items():
        values[index] = value
    if sys.byteorder != "little":
        values.byteswap()
    return base64.b64encode(values.tobytes()).decode("ascii")


def _inputs(request: EmbeddingRequest) -> list[str]:
    raw = request.input
    if isinstance(raw, str):
        return [raw]
    if not raw:
        raise validation_error(["body", "input"], "input must not be empty", "too_short", raw)
    if all(isinstance(item, int) for item in raw):
        return [" ".join(f"tok{item}" for item in raw)]
    texts: list[str] = []
    for item in raw:
        texts.append(item if isinstance(item, str) else " ".join(f"tok{t}" for t in item))  # type: ignore[union-attr]
    return texts


def create_embeddings(state: EmulatorState, body: Any) -> dict[str, Any]:
    """Handle ``POST /v1/embeddings``."""
    request = parse_body(EmbeddingRequest, body)
    spec = state.models.require(request.model, "embedding", "/v1/embeddings")
    texts = _inputs(request)
    limit = state.config.max_embedding_inputs
    if len(texts) > limit:
        raise validation_error(
            ["body", "input"],
            f"List should have at most {limit} items after validation, not {len(texts)}",
            "too_long",
        )
    if request.dimensions is not None and request.dimensions > spec.dimensions:
        raise EmulatorError(
            400,
            f"dimensions must be at most {spec.dimensions} for model {spec.id}, "
            f"got {request.dimensions}",
        )
    size = request.dimensions or spec.dimensions
    prompt_tokens = 0
    data: list[dict[str, Any]] = []
    for index, text in enumerate(texts):
        tokens = count_tokens(text)
        if tokens > spec.context_length:
            raise EmulatorError(
                400,
                f"input {index} has {tokens} tokens, more than the {spec.context_length} "
                f"tokens model {spec.id} accepts",
            )
        prompt_tokens += tokens
        vector = embed_text(text, spec.dimensions, request.dimensions)
        embedding: Any = (
            _as_base64(vector, size)
            if request.encoding_format == "base64"
            else _as_float_json(vector, size)
        )
        data.append({"object": "embedding", "embedding": embedding, "index": index})
    return {
        "id": f"embd-{state.new_hex()}",
        "object": "list",
        "created": state.now(),
        "model": spec.id,
        "data": data,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        "service_tier": None,
    }
