"""Retrieval-augmented generation in LangChain: embed, retrieve, rerank, answer with sources.

    python cookbook/langchain_rag.py

The documents are the small Markdown files in ``cookbook/data/``. The pipeline:

1. ``NebiusEmbeddings`` embeds them into langchain_core's ``InMemoryVectorStore``;
2. the store's retriever finds the closest chunks to the question;
3. ``NebiusRerank`` reorders those with a cross-encoder reranker and keeps the best;
4. ``ChatNebius`` answers from that context, citing the source files.

With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_nebius import ChatNebius, NebiusEmbeddings, NebiusRerank
from nebius_inference.testing import live_or_emulated

DATA_DIR = Path(__file__).parent / "data"
CHAT_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"
RERANK_MODEL = "Qwen/Qwen3-Reranker-8B"

PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "Answer the question using only the context below. Cite the sources you used "
            "in square brackets, like [shipping.md]. If the context does not say, answer "
            "that you do not know.\n\nContext:\n{context}",
        ),
        ("human", "{question}"),
    ]
)


def load_documents() -> list[Document]:
    """One Document per paragraph of each Markdown file, tagged with its file name."""
    documents = []
    for path in sorted(DATA_DIR.glob("*.md")):
        paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n")]
        for number, text in enumerate(p for p in paragraphs if p and not p.startswith("#")):
            documents.append(
                Document(
                    page_content=text, metadata={"source": path.name}, id=f"{path.stem}-{number}"
                )
            )
    return documents


def format_context(documents: list[Document]) -> str:
    return "\n\n".join(f"[{d.metadata['source']}]\n{d.page_content}" for d in documents)


def main() -> None:
    embeddings = NebiusEmbeddings(model=EMBED_MODEL)
    store = InMemoryVectorStore(embedding=embeddings)
    documents = load_documents()
    store.add_documents(documents)
    print(f"indexed {len(documents)} chunks from {DATA_DIR.name}/")

    retriever = store.as_retriever(search_kwargs={"k": 4})
    reranker = NebiusRerank(model=RERANK_MODEL, top_n=2)
    answer_chain = PROMPT | ChatNebius(model=CHAT_MODEL, temperature=0) | StrOutputParser()

    for question in [
        "How long do I have to return an item for a refund?",
        "Does the warranty cover damage from limescale?",
    ]:
        print(f"\nquestion: {question}")
        candidates = retriever.invoke(question)
        print("retrieved:", [d.metadata["source"] for d in candidates])
        best = list(reranker.compress_documents(candidates, question))
        for doc in best:
            print(
                f"reranked: {doc.metadata['source']} (score {doc.metadata['relevance_score']:.2f})"
            )
        answer = answer_chain.invoke({"context": format_context(best), "question": question})
        print("answer:", answer)
        # The sources, best first (dict.fromkeys drops duplicates and keeps the order).
        print("sources:", ", ".join(dict.fromkeys(d.metadata["source"] for d in best)))


if __name__ == "__main__":
    with live_or_emulated():
        main()
