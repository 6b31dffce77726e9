"""``NebiusRerank``: a LlamaIndex node postprocessor over the Nebius rerank API."""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
from typing_extensions import override

from nebius_inference import AsyncNebiusClient, NebiusClient, catalog
from nebius_inference.types import RerankResponse

__all__ = ["DEFAULT_RERANK_MODEL", "NebiusRerank"]

from ._common import NebiusConnection

DEFAULT_RERANK_MODEL = catalog.DEFAULT_RERANK_MODEL

dispatcher = get_dispatcher(__name__)


class NebiusRerank(NebiusConnection, BaseNodePostprocessor):
    """Rerank retrieved nodes with a Nebius reranker (default ``Qwen/Qwen3-Reranker-8B``).

    >>> from llama_index_nebius import NebiusRerank
    >>> engine = index.as_query_engine(similarity_top_k=10,
    ...                                node_postprocessors=[NebiusRerank(top_n=3)])

    Keeps the ``top_n`` best nodes, best first, with the reranker's relevance score as
    ``NodeWithScore.score`` (the retrieval score goes to ``metadata["retrieval_score"]`` when
    ``keep_retrieval_score`` is set).
    """

    model: str = Field(default=DEFAULT_RERANK_MODEL, description="Reranker model id.")
    top_n: int = Field(default=2, ge=1, description="How many nodes to keep.")
    keep_retrieval_score: bool = Field(
        default=False, description="Keep the retrieval score in the node metadata."
    )

    def __init__(
        self,
        model: str = DEFAULT_RERANK_MODEL,
        *,
        client: NebiusClient | None = None,
        async_client: AsyncNebiusClient | None = None,
        http_client: Any = None,
        async_http_client: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model=model, **kwargs)
        self._setup_clients(client, async_client, http_client, async_http_client)

    @classmethod
    @override
    def class_name(cls) -> str:
        return "NebiusRerank"

    def _request(self, nodes: list[NodeWithScore], query: str) -> dict[str, Any]:
        return {
            "model": self.model,
            "query": query,
            "documents": [n.node.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes],
            "top_n": min(self.top_n, len(nodes)),
        }

    def _rescored(self, nodes: list[NodeWithScore], reply: RerankResponse) -> list[NodeWithScore]:
        ranked: list[NodeWithScore] = []
        for result in sorted(reply.results, key=lambda r: -r.relevance_score):
            if not 0 <= result.index < len(nodes):
                raise ValueError(
                    f"The reranker returned index {result.index} for {len(nodes)} documents."
                )
            original = nodes[result.index]
            if self.keep_retrieval_score:
                original.node.metadata["retrieval_score"] = original.score
            ranked.append(NodeWithScore(node=original.node, score=result.relevance_score))
        return ranked[: self.top_n]

    def _start(self, nodes: list[NodeWithScore], query: QueryBundle) -> dict[str, Any]:
        dispatcher.event(
            ReRankStartEvent(query=query, nodes=nodes, top_n=self.top_n, model_name=self.model)
        )
        return {
            EventPayload.NODES: nodes,
            EventPayload.MODEL_NAME: self.model,
            EventPayload.QUERY_STR: query.query_str,
            EventPayload.TOP_K: self.top_n,
        }

    @override
    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise ValueError("NebiusRerank needs the query: pass query_str or query_bundle.")
        if not nodes:
            return []
        payload = self._start(nodes, query_bundle)
        with self.callback_manager.event(CBEventType.RERANKING, payload=payload) as event:
            reply = self.client.rerank(self._request(nodes, query_bundle.query_str))
            ranked = self._rescored(nodes, reply)
            event.on_end(payload={EventPayload.NODES: ranked})
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked

    @override
    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise ValueError("NebiusRerank needs the query: pass query_str or query_bundle.")
        if not nodes:
            return []
        payload = self._start(nodes, query_bundle)
        with self.callback_manager.event(CBEventType.RERANKING, payload=payload) as event:
            reply = await self.async_client.rerank(self._request(nodes, query_bundle.query_str))
            ranked = self._rescored(nodes, reply)
            event.on_end(payload={EventPayload.NODES: ranked})
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked
