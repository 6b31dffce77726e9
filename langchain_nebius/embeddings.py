"""``NebiusEmbeddings``: LangChain embeddings over the Nebius ``/v1/embeddings`` API."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import AliasChoices, ConfigDict, Field
from typing_extensions import override

from nebius_inference.catalog import DEFAULT_EMBEDDING_MODEL

from ._common import NebiusClientMixin
from ._errors import translate_errors

__all__ = ["NebiusEmbeddings"]


def _texts(texts: list[str]) -> list[str]:
    """A copy of ``texts``; a bare string is left as it is, for the core to refuse (``list()``
    would split it into characters)."""
    given: object = texts
    return given if isinstance(given, str) else list(texts)  # type: ignore[return-value]


class NebiusEmbeddings(NebiusClientMixin, Embeddings):
    """Text embeddings on Nebius Token Factory.

    Example:
        .. code-block:: python

            from langchain_nebius import NebiusEmbeddings

            embeddings = NebiusEmbeddings(model="Qwen/Qwen3-Embedding-8B")
            vectors = embeddings.embed_documents(["first text", "second text"])

    Texts are sent in batches of ``batch_size`` (also accepted as ``chunk_size``), with at most
    ``max_concurrency`` requests in flight, and come back in input order. Vectors travel as
    base64 and are decoded locally; no tokenizer is downloaded. An empty list returns ``[]``
    without a request. Empty strings are sent as they are (the API decides what they embed to).
    """

    model_config = ConfigDict(
        hide_input_in_errors=True, populate_by_name=True, protected_namespaces=()
    )

    model: str = Field(
        default=DEFAULT_EMBEDDING_MODEL, validation_alias=AliasChoices("model", "model_name")
    )
    """Embedding model id (``Qwen/Qwen3-Embedding-8B`` and ``BAAI/bge-en-icl`` give 4096
    dimensions)."""
    dimensions: int | None = Field(default=None, ge=1)
    """Ask the server to shorten the vectors to this many dimensions."""
    batch_size: int = Field(
        default=128, ge=1, validation_alias=AliasChoices("batch_size", "chunk_size")
    )
    """Texts per request."""
    max_concurrency: int = Field(default=4, ge=1)
    """Requests in flight at once."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other body fields sent with every request (e.g. ``service_tier``)."""

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "batch_size": self.batch_size,
            "max_concurrency": self.max_concurrency,
            **self.model_kwargs,
        }
        if self.dimensions is not None:
            params["dimensions"] = self.dimensions
        return params

    @override
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed ``texts``, in order. A single string is refused (the core's
        ``InvalidRequestError``): it would be embedded character by character."""
        if not texts:
            return []
        with translate_errors():
            return self._get_client().embed(_texts(texts), output="list", **self._params())

    @override
    def embed_query(self, text: str) -> list[float]:
        """Embed one text."""
        return self.embed_documents([text])[0]

    @override
    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed ``texts``, in order (native async)."""
        if not texts:
            return []
        with translate_errors():
            return await self._get_async_client().embed(
                _texts(texts), output="list", **self._params()
            )

    @override
    async def aembed_query(self, text: str) -> list[float]:
        """Embed one text (native async)."""
        return (await self.aembed_documents([text]))[0]
