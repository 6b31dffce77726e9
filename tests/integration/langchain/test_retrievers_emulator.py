"""``NebiusRetriever``, ``NebiusRetrievalTool`` and ``nebius_search`` against the emulator, whose
embeddings put texts that share words close together."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_nebius import (
    ChatNebius,
    NebiusEmbeddings,
    NebiusRetrievalTool,
    NebiusRetriever,
    nebius_search,
)
from langchain_nebius import tools as tools_module
from nebius_inference.testing import Emulator

CAPITALS = [
    "Paris is the capital of France",
    "Berlin is the capital of Germany",
    "Rome is the capital of Italy",
    "Bananas are a yellow fruit rich in potassium",
]


def _docs() -> list[Document]:
    return [Document(page_content=text, metadata={"n": i}) for i, text in enumerate(CAPITALS)]


def _embedding_calls(emu: Emulator) -> list[Any]:
    return [entry.json["input"] for entry in emu.requests("/v1/embeddings", "post")]


def test_closest_documents_with_k_by_default_and_per_call(
    conn: dict[str, Any], emu: Emulator
) -> None:
    retriever = NebiusRetriever(docs=_docs(), k=2, **conn)
    assert _embedding_calls(emu) == []  # construction sends nothing

    found = retriever.invoke("Which city is the capital of Italy?")
    assert found[0].metadata["n"] == 2 and len(found) == 2
    assert [d.page_content for d in retriever.invoke("yellow fruit bananas", k=1)] == [CAPITALS[3]]
    # The documents were embedded once, in one batch; then one request per query.
    calls = _embedding_calls(emu)
    assert calls[0] == CAPITALS and len(calls) == 3


def test_appended_and_replaced_documents_are_embedded_once(
    conn: dict[str, Any], emu: Emulator
) -> None:
    retriever = NebiusRetriever(docs=_docs(), k=1, **conn)
    retriever.invoke("capital of France")
    retriever.docs.append(Document(page_content="Madrid is the capital of Spain"))
    assert retriever.invoke("the capital of Spain")[0].page_content.startswith("Madrid")
    retriever.docs = [Document(page_content="Lisbon is the capital of Portugal")]
    assert retriever.invoke("capital of France")[0].page_content.startswith("Lisbon")
    calls = _embedding_calls(emu)
    assert sum(CAPITALS[0] in c for c in calls) == 1  # the first documents: once
    assert calls.count(["Madrid is the capital of Spain"]) == 1  # the appended one: alone
    assert calls.count(["Lisbon is the capital of Portugal"]) == 1


def test_async_twin_and_concurrent_queries_embed_the_documents_once(
    conn: dict[str, Any], emu: Emulator
) -> None:
    retriever = NebiusRetriever(docs=_docs(), **conn)

    async def ask() -> list[list[Document]]:
        return await asyncio.gather(
            retriever.ainvoke("capital of Germany", k=1),
            retriever.ainvoke("Rome Italy", k=1),
        )

    germany, italy = asyncio.run(ask())
    assert germany[0].page_content == CAPITALS[1] and italy[0].page_content == CAPITALS[2]
    assert retriever.invoke("capital of Germany", k=1) == germany
    # Both async queries embedded the documents; only one copy of their vectors was kept.
    assert len(retriever._vectors) == len(CAPITALS)


def test_empty_collection_and_bad_k(conn: dict[str, Any], emu: Emulator) -> None:
    assert NebiusRetriever(**conn).invoke("anything") == []
    assert _embedding_calls(emu) == []
    with pytest.raises(ValueError, match="k must be at least 1"):
        NebiusRetriever(docs=_docs(), **conn).invoke("capital", k=0)


def test_given_embeddings_are_used_and_connection_settings_warn(
    conn: dict[str, Any], emu: Emulator
) -> None:
    embeddings = NebiusEmbeddings(model="Qwen/Qwen3-Embedding-8B", **conn)
    retriever = NebiusRetriever(embeddings=embeddings, docs=_docs())
    retriever.invoke("capital of France")
    assert {e.json["model"] for e in emu.requests("/v1/embeddings", "post")} == {
        "Qwen/Qwen3-Embedding-8B"
    }
    with pytest.warns(UserWarning, match="embeddings' own settings are used"):
        NebiusRetriever(embeddings=embeddings, docs=_docs(), api_key="another")
    assert "another" not in repr(retriever) and emu.api_key not in repr(retriever)


def test_retrieval_tool_formats_like_the_official_one(conn: dict[str, Any]) -> None:
    tool = NebiusRetrievalTool(retriever=NebiusRetriever(docs=_docs(), **conn))
    assert tool.invoke({"query": "capital of France", "k": 1}) == (
        "Document 1:\nParis is the capital of France\n"
    )
    assert asyncio.run(tool.ainvoke({"query": "Germany Berlin", "k": 2})).startswith(
        "Document 1:\nBerlin is the capital of Germany\n\nDocument 2:\n"
    )
    empty = NebiusRetrievalTool(retriever=NebiusRetriever(**conn))
    assert empty.invoke({"query": "x"}) == "No relevant documents found."
    schema = convert_to_openai_tool(tool)["function"]
    assert schema["name"] == "nebius_retrieval"
    assert set(schema["parameters"]["properties"]) == {"query", "k"}


def test_the_retrievers_k_holds_unless_the_tool_or_the_call_names_one(
    conn: dict[str, Any],
) -> None:
    retriever = NebiusRetriever(docs=_docs(), k=2, **conn)

    def count(text: str) -> int:
        return text.count("Document ")

    tool = NebiusRetrievalTool(retriever=retriever)
    assert count(tool.invoke({"query": "capital"})) == 2
    assert count(asyncio.run(tool.ainvoke({"query": "capital"}))) == 2
    assert count(tool.invoke({"query": "capital", "k": 3})) == 3
    own = NebiusRetrievalTool(retriever=retriever, k=1)
    assert count(own.invoke({"query": "capital"})) == 1
    assert count(own.invoke({"query": "capital", "k": 4})) == 4
    assert count(nebius_search.invoke({"query": "capital", "retriever": retriever})) == 2


def test_nebius_search_takes_the_retriever_from_code_not_from_the_model(
    conn: dict[str, Any],
) -> None:
    retriever = NebiusRetriever(docs=_docs(), **conn)
    found = nebius_search.invoke({"query": "yellow fruit", "retriever": retriever, "k": 1})
    assert found == f"Document 1:\n{CAPITALS[3]}\n"
    # The model is shown only what it can fill in.
    parameters = convert_to_openai_tool(nebius_search)["function"]["parameters"]
    assert set(parameters["properties"]) == {"query", "k"}
    # Importable where the official package has them.
    assert tools_module.NebiusRetrievalTool is NebiusRetrievalTool
    assert tools_module.nebius_search is nebius_search


def test_an_agent_turn_with_the_retrieval_tool(conn: dict[str, Any]) -> None:
    tool = NebiusRetrievalTool(retriever=NebiusRetriever(docs=_docs(), **conn))
    llm = ChatNebius(**conn).bind_tools([tool], tool_choice="nebius_retrieval")
    call = llm.invoke("Use nebius_retrieval to find the capital of Italy").tool_calls[0]
    assert call["name"] == "nebius_retrieval" and isinstance(call["args"]["query"], str)
    assert tool.invoke(call["args"]).startswith("Document 1:\n")
