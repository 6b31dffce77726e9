"""Parallel ingestion in LlamaIndex: embed nodes in worker processes, then index them.

    python cookbook/llamaindex_parallel_ingestion.py

``IngestionPipeline(...).run(nodes=..., num_workers=2)`` sends the transformations, here
``NebiusEmbedding``, to two worker processes by pickling them. A pickle never carries the API
key or a connection: each worker reads ``NEBIUS_API_KEY`` from its environment (inherited from
this process) and opens its own connections. The script checks that the workers' embeddings
equal those of a run in this process, then builds a ``VectorStoreIndex`` from the nodes and
retrieves from it.
With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

from llama_index.core import VectorStoreIndex
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import Document

from llama_index_nebius import NebiusEmbedding
from nebius_inference.testing import live_or_emulated

EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"
TOPICS = ["rivers", "mountains", "deserts", "forests", "oceans", "volcanoes", "glaciers"]


def main() -> None:
    documents = [
        Document(text=f"Note {i}: a short text about {TOPICS[i % len(TOPICS)]}, number {i}.")
        for i in range(140)
    ]
    # Split here; only the embedding step goes to the workers.
    nodes = SentenceSplitter(chunk_size=128, chunk_overlap=0).get_nodes_from_documents(documents)
    embed_model = NebiusEmbedding(model_name=EMBED_MODEL, embed_batch_size=32)

    parallel = IngestionPipeline(transformations=[embed_model]).run(
        nodes=[n.model_copy() for n in nodes], num_workers=2
    )
    serial = IngestionPipeline(transformations=[embed_model]).run(
        nodes=[n.model_copy() for n in nodes]
    )
    vectors = {n.get_content(): n.embedding for n in serial}
    same = all(
        max(
            abs(a - b)
            for a, b in zip(n.embedding or [], vectors[n.get_content()] or [], strict=True)
        )
        < 1e-6
        for n in parallel
    )
    print(f"embedded {len(parallel)} nodes in 2 worker processes")
    print(f"same embeddings as in this process: {same}")

    index = VectorStoreIndex(nodes=parallel, embed_model=embed_model)
    best = index.as_retriever(similarity_top_k=1).retrieve("Tell me about glaciers.")[0]
    print("best match:", best.node.get_content())


if __name__ == "__main__":
    with live_or_emulated():
        main()
