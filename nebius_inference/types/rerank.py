"""Rerank: ``POST /v1/rerank``."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from pydantic import BeforeValidator, Field

from ._base import APIResponse, RequestModel, ResponseModel
from .shared import Usage

__all__ = [
    "RerankDocument",
    "RerankParams",
    "RerankRequest",
    "RerankResponse",
    "RerankResult",
]


class RerankRequest(RequestModel):
    model: str = Field(min_length=1)
    query: str = Field(min_length=1)
    documents: list[str] = Field(min_length=1)
    top_n: int | None = Field(default=None, ge=1)
    user: str | None = None
    service_tier: str | None = None


class RerankParams(TypedDict, total=False):
    """The fields of :class:`RerankRequest` as keyword arguments, for type checkers and IDEs.
    Send any other field with ``extra_body={...}``."""

    model: str
    query: str
    documents: list[str]
    top_n: int
    user: str
    service_tier: str


class RerankDocument(ResponseModel):
    text: str | None = None


def _document(value: Any) -> Any:
    """Some servers send the document as its text alone."""
    return {"text": value} if isinstance(value, str) else value


class RerankResult(ResponseModel):
    index: int
    relevance_score: float
    document: Annotated[RerankDocument | None, BeforeValidator(_document)] = None


class RerankResponse(APIResponse):
    id: str | None = None
    model: str | None = None
    usage: Usage | None = None
    results: list[RerankResult] = Field(default_factory=list)
