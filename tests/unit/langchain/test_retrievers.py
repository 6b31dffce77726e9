"""The retriever's pure parts: ranking by cosine similarity, and its guard against pairing a
document with another's vector."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from langchain_nebius import NebiusRetriever
from langchain_nebius.retrievers import _unit, format_documents, top_k


def test_top_k_ranks_by_cosine_and_keeps_input_order_on_ties() -> None:
    vectors = [_unit(v) for v in ([1.0, 0.0], [0.0, 2.0], [3.0, 3.0], [5.0, 0.0])]
    assert top_k([10.0, 0.0], vectors, 3) == [0, 3, 2]  # length does not matter, angle does
    assert top_k([0.0, 1.0], vectors, 1) == [1]
    assert top_k([0.0, 0.0], vectors, 2) == [0, 1]  # a zero query: no division by zero
    assert top_k([1.0, 0.0], vectors, 10) == [0, 3, 2, 1]


def test_a_short_embedding_reply_is_an_error_not_a_misalignment() -> None:
    retriever = NebiusRetriever(docs=[Document(page_content="a")], api_key="test-key")
    with pytest.raises(ValueError, match="1 vectors for 2 documents"):
        retriever._store([Document(page_content="a"), Document(page_content="b")], [[1.0]])


def test_format_documents() -> None:
    assert format_documents([]) == "No relevant documents found."
    docs = [Document(page_content="one"), Document(page_content="two")]
    assert format_documents(docs) == "Document 1:\none\n\nDocument 2:\ntwo\n"
