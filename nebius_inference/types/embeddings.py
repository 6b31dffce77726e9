"""Embeddings: ``POST /v1/embeddings``."""

from __future__ import annotations

import base64
import sys
from array import array
from typing import Any, Literal, TypedDict

from pydantic import Field

from ._base import APIResponse, RequestModel, ResponseModel
from .shared import Usage

__all__ = [
    "CreateEmbeddingResponse",
    "EmbedFields",
    "Embedding",
    "EmbeddingParams",
    "EmbeddingRequest",
    "decode_base64_embedding",
]

_LITTLE_ENDIAN = sys.byteorder == "little"


def decode_base64_embedding(data: str) -> list[float]:
    """Decode a base64 embedding (little-endian float32) to floats in one step."""
    values = array("f")
    values.frombytes(base64.b64decode(data))
    if not _LITTLE_ENDIAN:  # pragma: no cover - big-endian hosts
        values.byteswap()
    return values.tolist()


def _vector(value: Any) -> list[float]:
    if isinstance(value, str):
        return decode_base64_embedding(value)
    if isinstance(value, list):
        return array("d", value).tolist()  # ints become floats; a non-number is a TypeError
    raise TypeError("embedding is neither a list of numbers nor base64")


class EmbeddingRequest(RequestModel):
    model: str = Field(min_length=1)
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = Field(default=None, ge=1)
    user: str | None = None
    service_tier: str | None = None


class EmbedFields(TypedDict, total=False):
    """The fields of :class:`EmbeddingRequest` other than ``model`` and ``input``: what
    ``embed()`` takes next to the texts. Send any other field with ``extra_body={...}``."""

    encoding_format: Literal["float", "base64"]
    dimensions: int
    user: str
    service_tier: str


class EmbeddingParams(EmbedFields, total=False):
    """The fields of :class:`EmbeddingRequest` as keyword arguments, for type checkers and
    IDEs."""

    model: str
    input: str | list[str] | list[int] | list[list[int]]


class Embedding(ResponseModel):
    object: str = "embedding"
    index: int = 0
    embedding: list[float]


class CreateEmbeddingResponse(APIResponse):
    object: str = "list"
    model: str = ""
    data: list[Embedding] = Field(default_factory=list)
    usage: Usage | None = None

    @classmethod
    def from_json(cls, payload: Any) -> CreateEmbeddingResponse:
        """An embeddings reply from its parsed JSON, fast: each vector is read in one step
        (base64 float32, or a list of numbers, ints made floats), not validated float by
        float. Other top-level fields are kept. A malformed reply raises ``KeyError``,
        ``TypeError`` or ``ValueError``."""
        data = [
            Embedding.model_construct(
                object=item.get("object") or "embedding",
                index=position if item.get("index") is None else int(item["index"]),
                embedding=_vector(item["embedding"]),
            )
            for position, item in enumerate(payload["data"])
        ]
        # Everything but the vectors is validated as sent, so extra fields are kept; servers
        # that leave out (or null) ``object`` and ``model`` are accepted.
        rest = {key: value for key, value in payload.items() if key != "data"}
        rest["object"] = rest.get("object") or "list"
        rest["model"] = rest.get("model") or ""
        result = cls.model_validate({**rest, "data": []})
        result.data = data
        return result

    def vectors(self) -> list[list[float]]:
        """The vectors in input order (the API may return them in any order)."""
        ordered = sorted(self.data, key=lambda item: item.index)
        return [item.embedding for item in ordered]
