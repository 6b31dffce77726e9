"""A corpus into a LangChain vector store through the Batch API, one chunk at a time.

    python cookbook/langchain_corpus_vector_store.py

``embedding_batch_job`` plans an embeddings job (its input files are written to disk, then
uploaded from there in chunks); ``submit()`` sends it and the state file records the batch ids,
so a stopped process picks the same job up instead of paying twice. ``embedding_chunks`` waits
for the job, then reads the results from disk in input order, ``chunk_size`` texts at a time:
each chunk is a list of ``(text, vector)`` pairs, the shape ``add_embeddings`` takes, and only
that chunk is in memory. With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline
against the local emulator.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from langchain_core.vectorstores import InMemoryVectorStore

from langchain_nebius import NebiusEmbeddings
from langchain_nebius.batch import embedding_batch_job, embedding_chunks
from nebius_inference.testing import live_or_emulated

MODEL = "Qwen/Qwen3-Embedding-8B"
TOPICS = ["descaling", "grinding", "milk frothing", "returns", "shipping", "warranty"]


class PrecomputedInMemoryVectorStore(InMemoryVectorStore):
    """``InMemoryVectorStore`` with ``add_embeddings`` (as FAISS and others have it): vectors
    computed elsewhere go in as they are, without embedding the texts again."""

    def add_embeddings(
        self,
        text_embeddings: Iterable[tuple[str, list[float]]],
        metadatas: Iterable[dict[str, Any]] | None = None,
        ids: Iterable[str] | None = None,
    ) -> list[str]:
        pairs = list(text_embeddings)
        metas = list(metadatas) if metadatas is not None else [{} for _ in pairs]
        keys = list(ids) if ids is not None else [str(uuid.uuid4()) for _ in pairs]
        for key, (text, vector), metadata in zip(keys, pairs, metas, strict=True):
            self.store[key] = {"id": key, "vector": vector, "text": text, "metadata": metadata}
        return keys


def make_corpus() -> list[str]:
    """1,200 short help-page paragraphs (a real corpus would be read from disk)."""
    return [
        f"Help page {n}: how to handle {TOPICS[n % len(TOPICS)]} for coffee machine model {n}."
        for n in range(1, 1201)
    ]


def main() -> None:
    embeddings = NebiusEmbeddings(model=MODEL, dimensions=256)
    texts = make_corpus()
    print(f"texts: {len(texts)}")

    state_path = Path(tempfile.mkdtemp(prefix="nebius-corpus-")) / "corpus-job.json"
    job = embedding_batch_job(embeddings, texts, state_path=state_path).submit()
    print(f"submitted: {job.progress.total} requests")

    store = PrecomputedInMemoryVectorStore(embedding=embeddings)
    added = 0
    for chunk in embedding_chunks(job, texts, chunk_size=500):  # input order
        rows = range(added, added + len(chunk))
        store.add_embeddings(
            chunk, metadatas=[{"row": row} for row in rows], ids=[f"page-{row}" for row in rows]
        )
        added += len(chunk)
        print(f"added {len(chunk)} vectors, {added} in the store")

    page = store.get_by_ids(["page-7"])[0]
    print(f"page-7 holds text 7: {page.page_content == texts[7]}")
    vector = embeddings.embed_query(texts[7])  # the same text, embedded live
    hits = store.similarity_search_by_vector(vector, k=1)
    print(f"nearest to text 7 embedded live: {hits[0].id}")


if __name__ == "__main__":
    with live_or_emulated():
        main()
