"""A corpus of nodes into a LlamaIndex vector store through the Batch API, one chunk at a time.

    python cookbook/llamaindex_corpus_vector_store.py

``embedding_batch_job`` plans an embeddings job for the nodes (each embedded as a
``VectorStoreIndex`` embeds it; the input files are written to disk, then uploaded from there in
chunks); ``submit()`` sends it and the state file records the batch ids, so a stopped process
picks the same job up instead of paying twice. ``embedded_node_chunks`` waits for the job, then
reads the results from disk in input order, ``chunk_size`` nodes at a time, each a copy of its
node with ``embedding`` set, ready for ``vector_store.add(nodes)``; only that chunk is in
memory. With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local
emulator.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from llama_index.core.schema import MetadataMode, TextNode
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.core.vector_stores.types import VectorStoreQuery

from llama_index_nebius import NebiusEmbedding
from llama_index_nebius.batch import embedded_node_chunks, embedding_batch_job
from nebius_inference.testing import live_or_emulated

MODEL = "Qwen/Qwen3-Embedding-8B"
TOPICS = ["descaling", "grinding", "milk frothing", "returns", "shipping", "warranty"]


def make_nodes() -> list[TextNode]:
    """1,200 short help-page nodes (a real corpus would come from a reader and a splitter)."""
    return [
        TextNode(
            id_=f"page-{n}",
            text=f"Help page {n}: how to handle {TOPICS[n % len(TOPICS)]} for machine {n}.",
            metadata={"topic": TOPICS[n % len(TOPICS)]},
        )
        for n in range(1200)
    ]


def main() -> None:
    embed_model = NebiusEmbedding(model_name=MODEL, dimensions=256)
    nodes = make_nodes()
    print(f"nodes: {len(nodes)}")

    state_path = Path(tempfile.mkdtemp(prefix="nebius-corpus-")) / "corpus-job.json"
    job = embedding_batch_job(embed_model, nodes, state_path=state_path).submit()
    print(f"submitted: {job.progress.total} requests")

    vector_store = SimpleVectorStore()
    added = 0
    for chunk in embedded_node_chunks(job, nodes, chunk_size=500):  # input order
        vector_store.add(chunk)
        added += len(chunk)
        print(f"added {len(chunk)} nodes, {added} in the store")

    query = embed_model.get_text_embedding(nodes[7].get_content(metadata_mode=MetadataMode.EMBED))
    found = vector_store.query(VectorStoreQuery(query_embedding=query, similarity_top_k=1))
    print(f"nearest to node 7's text embedded live: {found.ids[0] if found.ids else None}")


if __name__ == "__main__":
    with live_or_emulated():
        main()
