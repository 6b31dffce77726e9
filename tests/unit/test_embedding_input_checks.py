"""A single string where a list of texts belongs is refused by the core and by both adapters with
one message, before anything is sent (it would otherwise be embedded character by character)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from fakes import API_KEY, FakeAPI, Handler, endpoint_reply

import nebius_inference as ni

TEXT = "hello world"


@pytest.fixture
def server(recorder: Callable[[Handler], FakeAPI]) -> FakeAPI:
    return recorder(endpoint_reply)


def _core_message(server: FakeAPI) -> str:
    with pytest.raises(ni.InvalidRequestError) as info:
        server.sync_client().embed(TEXT, model="e")  # type: ignore[arg-type]
    return str(info.value)


def test_the_core_refuses_a_bare_string(server: FakeAPI) -> None:
    message = _core_message(server)
    assert "single string" in message and "[text]" in message
    assert server.requests == []


def test_langchain_embed_documents_refuses_it_with_the_same_message(server: FakeAPI) -> None:
    pytest.importorskip("langchain_core", reason="the langchain extra is not installed")
    from langchain_core.exceptions import ModelInvalidRequestError

    from langchain_nebius import NebiusEmbeddings

    transport = httpx.MockTransport(server)
    embeddings = NebiusEmbeddings(
        api_key=API_KEY,
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
    )
    with pytest.raises(ModelInvalidRequestError) as info:
        embeddings.embed_documents(TEXT)  # type: ignore[arg-type]
    with pytest.raises(ModelInvalidRequestError) as async_info:
        asyncio.run(embeddings.aembed_documents(TEXT))  # type: ignore[arg-type]
    assert str(info.value) == str(async_info.value) == _core_message(server)
    assert isinstance(info.value, ni.InvalidRequestError)
    assert server.requests == []
    assert len(embeddings.embed_documents([TEXT])) == 1  # a list still works


def test_llama_index_batch_embedding_refuses_it_with_the_same_message(server: FakeAPI) -> None:
    pytest.importorskip("llama_index.core", reason="the llama-index extra is not installed")
    from llama_index_nebius import NebiusEmbedding

    transport = httpx.MockTransport(server)
    embedding = NebiusEmbedding(
        api_key=API_KEY,
        http_client=httpx.Client(transport=transport),
        async_http_client=httpx.AsyncClient(transport=transport),
    )
    with pytest.raises(ni.InvalidRequestError) as info:
        embedding.get_text_embedding_batch(TEXT)  # type: ignore[arg-type]
    with pytest.raises(ni.InvalidRequestError) as async_info:
        asyncio.run(embedding.aget_text_embedding_batch(TEXT))  # type: ignore[arg-type]
    assert str(info.value) == str(async_info.value) == _core_message(server)
    assert server.requests == []
    assert len(embedding.get_text_embedding_batch([TEXT])) == 1  # a list still works
