"""Retrieval-augmented generation in LlamaIndex: index, retrieve, rerank, answer with sources.

    python cookbook/llamaindex_rag.py

The documents are the small Markdown files in ``cookbook/data/``. The pipeline:

1. ``SimpleDirectoryReader`` loads them and ``VectorStoreIndex`` embeds the chunks with
   ``NebiusEmbedding``;
2. the query engine retrieves the closest chunks to the question;
3. ``NebiusRerank`` reorders them with a reranker model and keeps the best;
4. ``NebiusLLM`` writes the answer from those chunks, which come back as ``source_nodes``.

With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

from pathlib import Path

from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex

from llama_index_nebius import NebiusEmbedding, NebiusLLM, NebiusRerank
from nebius_inference.testing import live_or_emulated

DATA_DIR = Path(__file__).parent / "data"
CHAT_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"
RERANK_MODEL = "Qwen/Qwen3-Reranker-8B"


def main() -> None:
    # The models every index and query engine uses unless told otherwise.
    Settings.llm = NebiusLLM(model=CHAT_MODEL, temperature=0)
    Settings.embed_model = NebiusEmbedding(model_name=EMBED_MODEL)

    # filename_as_id gives documents stable ids (the file path) instead of random ones.
    documents = SimpleDirectoryReader(str(DATA_DIR), required_exts=[".md"], filename_as_id=True)
    index = VectorStoreIndex.from_documents(documents.load_data())
    print(f"indexed {len(index.docstore.docs)} nodes from {DATA_DIR.name}/")

    # Retrieve 4 candidates by embedding similarity, then keep the 2 the reranker likes best.
    query_engine = index.as_query_engine(
        similarity_top_k=4,
        node_postprocessors=[NebiusRerank(model=RERANK_MODEL, top_n=2)],
    )

    for question in [
        "How much does express shipping cost?",
        "How often should I descale the espresso machine?",
    ]:
        print(f"\nquestion: {question}")
        response = query_engine.query(question)
        print("answer:", str(response).strip())
        # Each source node: the reranker's score, the file it came from, and its text.
        for source in response.source_nodes:
            name = source.node.metadata.get("file_name")
            text = source.node.get_content().replace("\n", " ")
            print(f"source: {name} (score {source.score:.2f}) id={source.node.node_id}")
            print(f"        {text[:90]}...")


if __name__ == "__main__":
    with live_or_emulated():
        main()
