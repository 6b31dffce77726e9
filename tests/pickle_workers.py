"""What the pickling tests send to worker processes: build each public adapter object, and
use one (the same call in the parent and in spawn and fork workers)."""

from __future__ import annotations

from typing import Any


def build_all() -> dict[str, Any]:
    """One of every public object of both adapters, configured from the environment."""
    from langchain_core.documents import Document

    from langchain_nebius import (
        ChatNebius,
        NebiusEmbeddings,
        NebiusImageGenerationTool,
        NebiusRetrievalTool,
        NebiusRetriever,
    )
    from langchain_nebius import NebiusLLM as LCNebiusLLM
    from langchain_nebius import NebiusRerank as LCNebiusRerank
    from llama_index_nebius import NebiusEmbedding, NebiusImageToolSpec, NebiusLLM, NebiusRerank

    docs = [
        Document(page_content="Paris is the capital of France."),
        Document(page_content="Photosynthesis turns light into sugar."),
    ]
    retriever = NebiusRetriever(docs=docs, k=1)
    return {
        "lc.ChatNebius": ChatNebius(max_tokens=8),
        "lc.NebiusLLM": LCNebiusLLM(max_tokens=8),
        "lc.NebiusEmbeddings": NebiusEmbeddings(),
        "lc.NebiusRerank": LCNebiusRerank(top_n=1),
        "lc.NebiusImageGenerationTool": NebiusImageGenerationTool(),
        "lc.NebiusRetriever": retriever,
        "lc.NebiusRetrievalTool": NebiusRetrievalTool(retriever=NebiusRetriever(docs=docs, k=1)),
        "li.NebiusLLM": NebiusLLM(max_tokens=8),
        "li.NebiusEmbedding": NebiusEmbedding(),
        "li.NebiusRerank": NebiusRerank(top_n=1),
        "li.NebiusImageToolSpec": NebiusImageToolSpec(),
    }


def use(name: str, obj: Any) -> Any:
    """Call ``obj`` once; a plain, comparable summary of the answer."""
    from langchain_core.documents import Document
    from llama_index.core.schema import NodeWithScore, TextNode

    texts = ["Paris is the capital of France.", "Photosynthesis turns light into sugar."]
    query = "What is the capital of France?"
    if name in ("lc.ChatNebius", "lc.NebiusLLM"):
        reply = obj.invoke(query)
        return str(getattr(reply, "content", reply))
    if name == "lc.NebiusEmbeddings":
        return [round(x, 5) for x in obj.embed_query(query)[:8]]
    if name == "lc.NebiusRerank":
        found = obj.compress_documents([Document(page_content=t) for t in texts], query)
        return [d.page_content for d in found]
    if name == "lc.NebiusImageGenerationTool":
        _, artifact = obj._run(prompt="a boat", width=64, height=64, seed=1)
        return (artifact["width"], artifact["height"], artifact["mime_type"], artifact["model"])
    if name == "lc.NebiusRetriever":
        return [d.page_content for d in obj.invoke(query)]
    if name == "lc.NebiusRetrievalTool":
        return obj.invoke({"query": query, "k": 1})
    if name == "li.NebiusLLM":
        return obj.complete(query).text
    if name == "li.NebiusEmbedding":
        return [round(x, 5) for x in obj.get_text_embedding(query)[:8]]
    if name == "li.NebiusRerank":
        nodes = [NodeWithScore(node=TextNode(text=t)) for t in texts]
        return [n.node.get_content() for n in obj.postprocess_nodes(nodes, query_str=query)]
    if name == "li.NebiusImageToolSpec":
        blocks = obj.generate_image("a boat", width=64, height=64, seed=1)
        return [(b.image_mimetype, len(b.image or b"") > 0) for b in blocks]
    raise ValueError(name)


def round_trip(item: tuple[str, bytes]) -> Any:
    """In a worker: unpickle the object and use it."""
    import pickle

    name, data = item
    return use(name, pickle.loads(data))
