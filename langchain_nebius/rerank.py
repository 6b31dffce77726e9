"""``NebiusRerank``: a LangChain document compressor over the Nebius ``/v1/rerank`` API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import Document
from langchain_core.documents.compressor import BaseDocumentCompressor
from pydantic import ConfigDict, Field
from typing_extensions import override

from nebius_inference.catalog import DEFAULT_RERANK_MODEL
from nebius_inference.types import RerankResponse

from ._common import NebiusClientMixin
from ._errors import translate_errors

__all__ = ["NebiusRerank"]


class NebiusRerank(NebiusClientMixin, BaseDocumentCompressor):
    """Rerank documents against a query with a Nebius reranker model.

    Example:
        .. code-block:: python

            from langchain_nebius import NebiusRerank

            reranker = NebiusRerank(top_n=3)
            best = reranker.compress_documents(documents, "What is the capital of France?")

    Returns at most ``top_n`` documents, best first, each a copy of the input document with
    ``metadata["relevance_score"]`` added. Use it in a ``ContextualCompressionRetriever`` to
    rerank what a retriever finds. An empty document list returns ``[]`` without a request.
    """

    model_config = ConfigDict(
        hide_input_in_errors=True, populate_by_name=True, protected_namespaces=()
    )

    model: str = DEFAULT_RERANK_MODEL
    """Reranker model id."""
    top_n: int | None = Field(default=3, ge=1)
    """How many documents to keep (``None`` keeps them all, reordered)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other body fields sent with every request."""

    def _params(self, documents: Sequence[Document], query: str) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "query": query,
            "documents": [d.page_content for d in documents],
            **self.model_kwargs,
        }
        if self.top_n is not None:
            params["top_n"] = min(self.top_n, len(documents))
        return params

    def _ranked(self, documents: Sequence[Document], reply: RerankResponse) -> list[Document]:
        results = sorted(reply.results, key=lambda r: r.relevance_score, reverse=True)
        if self.top_n is not None:
            results = results[: self.top_n]
        ranked = []
        for result in results:
            if not 0 <= result.index < len(documents):
                continue
            source = documents[result.index]
            ranked.append(
                Document(
                    page_content=source.page_content,
                    metadata={**source.metadata, "relevance_score": result.relevance_score},
                    id=source.id,
                )
            )
        return ranked

    @override
    def compress_documents(
        self,
        documents: Sequence[Document],
        query: str,
        callbacks: Callbacks | None = None,
    ) -> Sequence[Document]:
        """The ``top_n`` documents most relevant to ``query``, best first."""
        if not documents:
            return []
        with translate_errors():
            reply = self._get_client().rerank(self._params(documents, query))
        return self._ranked(documents, reply)

    @override
    async def acompress_documents(
        self,
        documents: Sequence[Document],
        query: str,
        callbacks: Callbacks | None = None,
    ) -> Sequence[Document]:
        """The ``top_n`` documents most relevant to ``query``, best first (native async)."""
        if not documents:
            return []
        with translate_errors():
            reply = await self._get_async_client().rerank(self._params(documents, query))
        return self._ranked(documents, reply)
