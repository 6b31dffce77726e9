"""Embeddings: ``POST /v1/embeddings``."""

from __future__ import annotations

from typing import Literal, TypedDict

from pydantic import Field

from ._base import APIResponse, RequestModel, ResponseModel
from .shared import Usage

__all__ = [
    "CreateEmbeddingResponse",
    "EmbedFields",
    "Embedding",
    "EmbeddingParams",
    "EmbeddingRequest",
]


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

    def vectors(self) -> list[list[float]]:
        """The vectors in input order (the API may return them in any order)."""
        ordered = sorted(self.data, key=lambda item: item.index)
        return [item.embedding for item in ordered]
