"""The bill of a RAG query: requests, tokens and US dollars per model, exact to the last digit.

    python cookbook/cost_of_a_rag_query.py

A small RAG query over the Markdown files in ``cookbook/data/``: a small model rewrites the
question for search, the search text is embedded and compared with the paragraphs, and
``ChatNebius`` answers from the closest ones. ``get_nebius_callback()`` counts every chat
model run inside its block, at the prices of the verbose model listing (read once).
LangChain reports no usage for embeddings, so the embedding calls go through the core client,
whose replies carry their usage, and are added to the same bill with ``cb.tracker.add``.
Indexing the documents is a one-off cost, billed apart from the query.

With NEBIUS_API_KEY set it talks to Nebius; otherwise it runs offline against the local emulator.
"""

from __future__ import annotations

import math
from pathlib import Path

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_nebius import ChatNebius, get_nebius_callback
from nebius_inference import NebiusClient
from nebius_inference.testing import live_or_emulated

DATA_DIR = Path(__file__).parent / "data"
SEARCH_MODEL = "google/gemma-3-27b-it"
ANSWER_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"
QUESTION = "Does the warranty cover damage from limescale?"

REWRITE = ChatPromptTemplate.from_messages(
    [("system", "Rewrite the question as a short search query. Reply with the query only."),
     ("human", "{question}")]
)  # fmt: skip
ANSWER = ChatPromptTemplate.from_messages(
    [("system", "Answer using only this context, citing sources like [warranty.md].\n\n{context}"),
     ("human", "{question}")]
)  # fmt: skip


def paragraphs() -> list[tuple[str, str]]:
    """(file name, paragraph) for every paragraph of the documents, headings left out."""
    found = []
    for path in sorted(DATA_DIR.glob("*.md")):
        for text in path.read_text(encoding="utf-8").split("\n\n"):
            if text.strip() and not text.startswith("#"):
                found.append((path.name, text.strip()))
    return found


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def main() -> None:
    client = NebiusClient()
    chunks = paragraphs()

    with get_nebius_callback(client=client) as indexing:
        reply = client.create_embeddings(model=EMBED_MODEL, input=[text for _, text in chunks])
        indexing.tracker.add(reply.model or EMBED_MODEL, reply.usage)
        vectors = [item.embedding for item in reply.data]
    print(f"indexed {len(chunks)} paragraphs from {DATA_DIR.name}/ for ${indexing.known_cost:f}")

    with get_nebius_callback(client=client) as cb:
        rewrite = REWRITE | ChatNebius(model=SEARCH_MODEL, temperature=0) | StrOutputParser()
        search = rewrite.invoke({"question": QUESTION})
        reply = client.create_embeddings(model=EMBED_MODEL, input=[search])
        cb.tracker.add(reply.model or EMBED_MODEL, reply.usage)
        query = reply.data[0].embedding
        ranked = sorted(zip(chunks, vectors), key=lambda cv: cosine(query, cv[1]), reverse=True)
        best = [chunk for chunk, _ in ranked[:3]]
        context = "\n\n".join(f"[{name}]\n{text}" for name, text in best)
        answer_chain = ANSWER | ChatNebius(model=ANSWER_MODEL, temperature=0) | StrOutputParser()
        answer = answer_chain.invoke({"context": context, "question": QUESTION})

    print(f"question: {QUESTION}")
    print(f"search: {search}")
    print(f"sources: {', '.join(dict.fromkeys(name for name, _ in best))}")
    print(f"answer: {answer}")
    print()
    print(cb)
    print()
    if cb.total_cost is None:
        unpriced = ", ".join(cb.unpriced_models)
        print(f"query cost: at least ${cb.known_cost:f}; no price listed for {unpriced}")
    else:
        print(f"query cost: ${cb.total_cost:f} (exact)")
        print(f"1,000 such queries: ${format((cb.total_cost * 1000).normalize(), 'f')}")
    client.close()


if __name__ == "__main__":
    with live_or_emulated():
        main()
