"""Reranking by word overlap between the query and each document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import parse_body
from ._requests import RerankRequest
from ._tokens import STOPWORDS, count_tokens, stem, words

if TYPE_CHECKING:
    from ._state import EmulatorState

__all__ = ["relevance", "rerank"]


def _terms(text: str) -> set[str]:
    found = [word.lower() for word in words(text)]
    content = {stem(word) for word in found if word not in STOPWORDS}
    return content or {stem(word) for word in found}


def relevance(query: str, document: str) -> float:
    """Return a score in ``[0, 1]``: the share of query terms found in ``document``."""
    query_terms = _terms(query)
    doc_terms = _terms(document)
    if not query_terms:
        return 0.0
    overlap = len(query_terms & doc_terms) / len(query_terms)
    density = len(query_terms & doc_terms) / max(1, len(doc_terms))
    return round(0.02 + 0.9 * overlap + 0.06 * density, 6)


def rerank(state: EmulatorState, body: Any) -> dict[str, Any]:
    """Handle ``POST /v1/rerank``."""
    request = parse_body(RerankRequest, body)
    spec = state.models.require(request.model, "rerank", "/v1/rerank")
    scored = [
        (relevance(request.query, document), index, document)
        for index, document in enumerate(request.documents)
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    if request.top_n is not None:
        scored = scored[: request.top_n]
    tokens = count_tokens(request.query) * len(request.documents) + sum(
        count_tokens(document) for document in request.documents
    )
    return {
        "id": state.new_hex(),
        "model": spec.id,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        "results": [
            {"index": index, "relevance_score": score, "document": {"text": document}}
            for score, index, document in scored
        ],
    }
