"""``NebiusEmbedding``: a LlamaIndex ``BaseEmbedding`` over the Nebius embeddings API."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from typing_extensions import override

from nebius_inference import AsyncNebiusClient, NebiusClient, catalog

from ._common import LoopSemaphores, NebiusConnection
from ._convert import merge_body
from ._job_hint import announce_embedding_batch

__all__ = ["DEFAULT_EMBEDDING_MODEL", "DEFAULT_EMBED_BATCH_SIZE", "NebiusEmbedding"]

DEFAULT_EMBEDDING_MODEL = catalog.DEFAULT_EMBEDDING_MODEL
DEFAULT_EMBED_BATCH_SIZE = 64
DEFAULT_MAX_CONCURRENCY = 4


class NebiusEmbedding(NebiusConnection, BaseEmbedding):
    """Nebius embedding models for LlamaIndex (default ``Qwen/Qwen3-Embedding-8B``).

    >>> from llama_index_nebius import NebiusEmbedding
    >>> embed = NebiusEmbedding()  # reads NEBIUS_API_KEY
    >>> vector = embed.get_text_embedding("Nebius Token Factory")

    Texts go in batches of ``embed_batch_size`` per request; vectors travel base64-encoded.
    Async batches run with at most ``max_concurrency`` requests in flight (and at most
    ``num_workers`` when that is set). ``query_instruction`` / ``text_instruction`` are
    prefixes for models that expect one (for example
    ``"Instruct: Given a web search query, retrieve relevant passages\\nQuery: "`` for
    Qwen3-Embedding queries).
    """

    model_name: str = Field(default=DEFAULT_EMBEDDING_MODEL, description="Embedding model id.")
    embed_batch_size: int = Field(
        default=DEFAULT_EMBED_BATCH_SIZE, gt=0, le=2048, description="Texts per request."
    )
    max_concurrency: int = Field(
        default=DEFAULT_MAX_CONCURRENCY,
        ge=1,
        description="Most embedding requests in flight at once (async and large sync calls).",
    )
    dimensions: int | None = Field(
        default=None, ge=1, description="Ask for shorter vectors (if the model supports it)."
    )
    query_instruction: str | None = Field(
        default=None, description="Prefix added to queries before embedding."
    )
    text_instruction: str | None = Field(
        default=None, description="Prefix added to documents before embedding."
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Other request fields sent with every call."
    )

    _gates: LoopSemaphores = PrivateAttr()

    def __init__(
        self,
        model_name: str = DEFAULT_EMBEDDING_MODEL,
        *,
        client: NebiusClient | None = None,
        async_client: AsyncNebiusClient | None = None,
        http_client: Any = None,
        async_http_client: Any = None,
        **kwargs: Any,
    ) -> None:
        model_name = kwargs.pop("model", None) or model_name
        super().__init__(model_name=model_name, **kwargs)
        self._setup_clients(client, async_client, http_client, async_http_client)
        self._gates = LoopSemaphores(self.max_concurrency)

    @classmethod
    @override
    def class_name(cls) -> str:
        return "NebiusEmbedding"

    def _params(self) -> dict[str, Any]:
        return merge_body({"dimensions": self.dimensions}, self.additional_kwargs)

    @staticmethod
    def _prefixed(prefix: str | None, texts: list[str]) -> list[str]:
        return [f"{prefix}{t}" for t in texts] if prefix else list(texts)

    def _embed(self, texts: list[str]) -> list[Embedding]:
        return self.client.embed(
            texts,
            model=self.model_name,
            batch_size=self.embed_batch_size,
            max_concurrency=self.max_concurrency,
            output="list",
            **self._params(),
        )

    async def _aembed(self, texts: list[str]) -> list[Embedding]:
        async with self._gates.get():
            return await self.async_client.embed(
                texts,
                model=self.model_name,
                batch_size=self.embed_batch_size,
                max_concurrency=1,
                output="list",
                **self._params(),
            )

    @override
    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed(self._prefixed(self.query_instruction, [query]))[0]

    @override
    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aembed(self._prefixed(self.query_instruction, [query])))[0]

    @override
    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embed(self._prefixed(self.text_instruction, [text]))[0]

    @override
    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aembed(self._prefixed(self.text_instruction, [text])))[0]

    @override
    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        """Embed ``texts`` in batches. A single string is refused with the core's
        ``InvalidRequestError`` (it would be embedded character by character). A job the
        rate limit would stretch past the Batch API's turnaround is pointed to
        ``llama_index_nebius.batch`` once, in a warning."""
        given: object = texts
        if isinstance(given, str):
            self.client.embed(given, model=self.model_name)  # refused before anything is sent
        announce_embedding_batch(self.client, self.model_name, texts, self.embed_batch_size)
        return super().get_text_embedding_batch(texts, show_progress, **kwargs)

    @override
    async def aget_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        """The async twin of :meth:`get_text_embedding_batch`."""
        given: object = texts
        if isinstance(given, str):
            await self.async_client.embed(given, model=self.model_name)  # refused, as above
        announce_embedding_batch(self.async_client, self.model_name, texts, self.embed_batch_size)
        return await super().aget_text_embedding_batch(texts, show_progress, **kwargs)

    @override
    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(self._prefixed(self.text_instruction, texts))

    @override
    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await self._aembed(self._prefixed(self.text_instruction, texts))
