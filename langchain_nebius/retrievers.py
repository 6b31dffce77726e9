"""``NebiusRetriever`` and its tools: the closest documents to a query, by Nebius embeddings.

A drop-in for the official package's ``NebiusRetriever``, ``NebiusRetrievalTool`` and
``nebius_search`` (same names, same import paths, same arguments), meant for collections that
fit in memory (up to a few thousand documents). For more, or to keep the vectors, use a vector
store with :class:`~langchain_nebius.NebiusEmbeddings`, and :class:`~langchain_nebius.NebiusRerank`
on top.

Unlike the official retriever, construction sends nothing: the documents are embedded on the
first query, in batches, once; documents appended to ``docs`` later are embedded on the next
query, and assigning a new list starts over.

Example::

    from langchain_core.documents import Document
    from langchain_nebius import NebiusRetriever, NebiusRetrievalTool

    retriever = NebiusRetriever(
        docs=[Document(page_content="Paris is the capital of France"), ...], k=3
    )
    retriever.invoke("What is the capital of France?")
    retriever.invoke("capital of Italy", k=1)  # k per call

    tool = NebiusRetrievalTool(retriever=retriever)  # for agents: {"query": ..., "k": ...}
"""

from __future__ import annotations

import heapq
import math
import operator
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    AsyncCallbackManagerForToolRun,
    CallbackManagerForRetrieverRun,
    CallbackManagerForToolRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool, InjectedToolArg, tool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from typing_extensions import Self, override

from nebius_inference.signatures import FieldSignature

from .embeddings import NebiusEmbeddings

__all__ = [
    "NebiusRetrievalTool",
    "NebiusRetrievalToolInput",
    "NebiusRetriever",
    "format_documents",
    "nebius_search",
]

_CONNECTION_NAMES = ("api_key", "nebius_api_key", "base_url", "nebius_api_base")
NO_DOCUMENTS = "No relevant documents found."

_dot: Callable[[Sequence[float], Sequence[float]], float] = getattr(
    math, "sumprod", lambda a, b: sum(map(operator.mul, a, b))
)


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(_dot(vector, vector))
    return [x / norm for x in vector] if norm else list(vector)


def top_k(query: Sequence[float], vectors: Sequence[Sequence[float]], k: int) -> list[int]:
    """Indexes of the ``k`` unit ``vectors`` closest to ``query`` by cosine similarity, best
    first; ties keep input order."""
    q = _unit(query)
    scores = [_dot(q, v) for v in vectors]
    return heapq.nlargest(k, range(len(scores)), key=scores.__getitem__)


class NebiusRetriever(FieldSignature, BaseRetriever):
    """The ``k`` documents of ``docs`` closest to the query, by cosine similarity of their
    Nebius embeddings, held in memory.

    Args:
        docs: the documents to search.
        k: how many to return (default 3); ``invoke(query, k=...)`` overrides it per call.
        embeddings: the :class:`NebiusEmbeddings` to use. Without it, one is built from
            ``api_key`` and ``base_url`` (or ``nebius_api_key`` / ``nebius_api_base``), which
            otherwise default to the environment as everywhere in this package.

    Construction sends nothing. The first query embeds every document (in batches, with the
    embeddings' own concurrency), later queries embed only the query and any document
    appended to ``docs`` since. ``ainvoke`` is natively async.
    """

    model_config = ConfigDict(hide_input_in_errors=True, arbitrary_types_allowed=True)

    embeddings: NebiusEmbeddings
    """The embeddings the documents and queries are embedded with."""
    docs: list[Document] = Field(default_factory=list)
    """The documents to search; append to it freely, or assign a new list to start over."""
    k: int = Field(default=3, ge=1)
    """How many documents to return."""

    _vectors: list[list[float]] = PrivateAttr(default_factory=list)
    _embedded: list[Document] | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __getstate__(self) -> dict[Any, Any]:
        """Pickled without its lock (the copy gets a new one); the embeddings pickle by their
        own rule (no key, no client)."""
        state: dict[Any, Any] = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private.pop("_lock", None)
        state["__pydantic_private__"] = private
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        memo = {} if memo is None else memo
        memo[id(self._lock)] = threading.Lock()  # a deep copy gets a lock of its own
        return super().__deepcopy__(memo)

    @model_validator(mode="before")
    @classmethod
    def _build_embeddings(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        values = dict(values)
        connection = {name: values.pop(name) for name in _CONNECTION_NAMES if name in values}
        if values.get("embeddings") is None:
            values["embeddings"] = NebiusEmbeddings(**connection)
        elif connection:
            warnings.warn(
                "NebiusRetriever got both embeddings and connection settings "
                f"({', '.join(sorted(connection))}); the embeddings' own settings are used. "
                "Pass them to NebiusEmbeddings instead.",
                UserWarning,
                stacklevel=3,
            )
        return values

    def _pending(self) -> list[Document]:
        """The documents not embedded yet (all of them if ``docs`` was replaced)."""
        if self._embedded is not self.docs:
            self._embedded, self._vectors = self.docs, []
        return self.docs[len(self._vectors) :]

    def _store(self, documents: list[Document], vectors: list[list[float]]) -> None:
        if len(vectors) != len(documents):  # never pair a document with another's vector
            raise ValueError(
                f"The embeddings returned {len(vectors)} vectors for {len(documents)} documents."
            )
        self._vectors.extend(_unit(v) for v in vectors)

    def _closest(self, query_vector: list[float], k: int | None) -> list[Document]:
        count = self.k if k is None else k
        if count < 1:
            raise ValueError(f"k must be at least 1, got {count}.")
        return [self.docs[i] for i in top_k(query_vector, self._vectors, count)]

    @override
    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        if not self.docs:
            return []
        with self._lock:
            pending = self._pending()
            if pending:
                texts = [doc.page_content for doc in pending]
                self._store(pending, self.embeddings.embed_documents(texts))
        return self._closest(self.embeddings.embed_query(query), k)

    @override
    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        if not self.docs:
            return []
        pending = self._pending()
        if pending:
            source, start = self.docs, len(self._vectors)
            vectors = await self.embeddings.aembed_documents([d.page_content for d in pending])
            with self._lock:
                # A concurrent call may have stored these documents meanwhile: keep one copy.
                if self._embedded is source and len(self._vectors) == start:
                    self._store(pending, vectors)
        return self._closest(await self.embeddings.aembed_query(query), k)


def format_documents(docs: Sequence[Document]) -> str:
    """The documents as one text for a model, numbered as the official tool numbers them."""
    if not docs:
        return NO_DOCUMENTS
    return "\n".join(f"Document {i}:\n{doc.page_content}\n" for i, doc in enumerate(docs, 1))


class NebiusRetrievalToolInput(BaseModel):
    """The arguments the model fills in."""

    query: str = Field(..., description="The search query to look up relevant documents")
    k: int | None = Field(
        None, ge=1, le=50, description="Number of documents to return (default: the tool's)"
    )


class NebiusRetrievalTool(FieldSignature, BaseTool):
    """A tool that searches a :class:`NebiusRetriever` and returns the documents as text.

    Example::

        tool = NebiusRetrievalTool(retriever=NebiusRetriever(docs=docs, k=2))
        tool.invoke({"query": "What is the capital of France?"})  # 2 documents
        tool.invoke({"query": "What is the capital of France?", "k": 1})
        agent = create_agent(ChatNebius(), tools=[tool])

    How many documents: the call's ``k`` (the model may fill it in), else the tool's ``k``,
    else the retriever's ``k``.
    """

    name: str = "nebius_retrieval"
    description: str = "Search for relevant documents based on a query using Nebius embeddings."
    args_schema: type[BaseModel] = NebiusRetrievalToolInput
    retriever: NebiusRetriever
    """The retriever to search."""
    k: int | None = Field(default=None, ge=1)
    """How many documents to return when the call names none (default: the retriever's ``k``)."""

    @override
    def _run(
        self,
        query: str,
        k: int | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> str:
        child = run_manager.get_child() if run_manager else None
        count = self.k if k is None else k
        return format_documents(self.retriever.invoke(query, {"callbacks": child}, k=count))

    @override
    async def _arun(
        self,
        query: str,
        k: int | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> str:
        child = run_manager.get_child() if run_manager else None
        count = self.k if k is None else k
        found = await self.retriever.ainvoke(query, {"callbacks": child}, k=count)
        return format_documents(found)


@tool
def nebius_search(
    query: str, retriever: Annotated[NebiusRetriever, InjectedToolArg], k: int | None = None
) -> str:
    """Search for information using Nebius embeddings.

    Args:
        query: The search query to find relevant documents.
        retriever: The Nebius retriever to search (passed by your code, never by the model).
        k: Number of documents to return (default: the retriever's).
    """
    return format_documents(retriever.invoke(query, k=k))
