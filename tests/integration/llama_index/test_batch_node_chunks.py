"""``llama_index_nebius.batch.embedded_node_chunks``: a job's nodes with their vectors, in input
order, a chunk at a time, into a vector store's ``add(nodes)``."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core.schema import MetadataMode, TextNode
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.core.vector_stores.types import VectorStoreQuery

from llama_index_nebius import NebiusEmbedding
from llama_index_nebius.batch import (
    NebiusBatchItemError,
    embedded_node_chunks,
    embedding_batch_job,
)
from nebius_inference import InvalidRequestError, NebiusClient
from nebius_inference.batch import BatchJob
from nebius_inference.testing import Emulator, Fault

EMBED_MODEL = "Qwen/Qwen3-Embedding-8B"
NODES = [
    TextNode(id_=f"n{i}", text=f"document {i} about topic {i % 7}", metadata={"topic": i % 7})
    for i in range(50)
]


@pytest.fixture
def emulator(nebius_emulator_clean: Emulator) -> Emulator:
    return nebius_emulator_clean


@pytest.fixture
def embed_model(emulator: Emulator) -> NebiusEmbedding:
    return NebiusEmbedding(
        model_name=EMBED_MODEL, dimensions=8, api_key=emulator.api_key, base_url=emulator.base_url
    )


def test_a_running_job_fills_a_vector_store_in_input_order(
    embed_model: NebiusEmbedding, emulator: Emulator, tmp_path: Path
) -> None:
    job = embedding_batch_job(
        embed_model, NODES, texts_per_request=4, state_path=tmp_path / "job.json"
    ).submit()
    assert not job.done
    store = SimpleVectorStore()
    sizes = []
    order: list[str] = []
    for chunk in embedded_node_chunks(job, NODES, texts_per_request=4, chunk_size=15):
        store.add(chunk)
        sizes.append(len(chunk))
        order.extend(node.node_id for node in chunk)
    assert sizes == [15, 15, 15, 5] and order == [n.node_id for n in NODES]
    assert all(node.embedding is None for node in NODES)  # the caller's nodes are left alone
    texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in NODES]
    online = embed_model.get_text_embedding_batch(texts)
    for node, want in zip(NODES, online, strict=True):
        got = store.get(node.node_id)
        assert len(got) == 8 and max(abs(a - b) for a, b in zip(got, want)) < 1e-6
    found = store.query(VectorStoreQuery(query_embedding=online[9], similarity_top_k=1))
    assert found.ids == ["n9"]

    # Resumed from its state file: the results on disk, nothing uploaded or created again.
    before = len(emulator.requests(method="POST"))
    with NebiusClient(api_key=emulator.api_key, base_url=emulator.base_url) as client:
        resumed = BatchJob.resume(client, tmp_path / "job.json")
        again = [n for c in embedded_node_chunks(resumed, NODES, texts_per_request=4) for n in c]
    assert [n.embedding for n in again] == [store.get(n.node_id) for n in NODES]
    assert len(emulator.requests(method="POST")) == before


def test_a_failed_node_raises_unless_returned(
    embed_model: NebiusEmbedding, emulator: Emulator
) -> None:
    emulator.inject(Fault("batch_drop_output", lines=1))
    results = embedding_batch_job(embed_model, NODES[:6]).wait()
    out = [n for c in embedded_node_chunks(results, NODES[:6], return_exceptions=True) for n in c]
    failed = [i for i, n in enumerate(out) if isinstance(n, NebiusBatchItemError)]
    assert len(failed) == 1
    with pytest.raises(NebiusBatchItemError):
        for _ in embedded_node_chunks(results, NODES[:6]):
            pass
    with pytest.raises(InvalidRequestError, match="6 texts, 4 per request, make 2"):
        next(embedded_node_chunks(results, NODES[:6], texts_per_request=4))
    with pytest.raises(InvalidRequestError, match="chunk_size"):
        next(embedded_node_chunks(results, NODES[:6], chunk_size=0))


def test_plain_texts_make_a_job_too(embed_model: NebiusEmbedding) -> None:
    job = embedding_batch_job(embed_model, ["a", "b", "c"])
    nodes = [TextNode(id_=x, text=x) for x in "abc"]
    [chunk] = list(embedded_node_chunks(job, nodes))
    assert [n.embedding for n in chunk] == embed_model.get_text_embedding_batch(["a", "b", "c"])
    assert [n.node_id for n in chunk] == ["a", "b", "c"]


async def test_the_async_twin_fills_a_vector_store_alike(
    embed_model: NebiusEmbedding, emulator: Emulator
) -> None:
    from llama_index_nebius.batch import aembedded_node_chunks

    job = embedding_batch_job(embed_model, NODES, texts_per_request=4)
    store = SimpleVectorStore()
    chunks = []
    async for chunk in aembedded_node_chunks(job, NODES, texts_per_request=4, chunk_size=15):
        await store.async_add(chunk)
        chunks.append(chunk)
    assert [len(c) for c in chunks] == [15, 15, 15, 5]
    results = job.wait()
    sync = list(embedded_node_chunks(results, NODES, texts_per_request=4, chunk_size=15))
    assert [[n.embedding for n in c] for c in chunks] == [[n.embedding for n in c] for c in sync]
    assert [n.node_id for c in chunks for n in c] == [n.node_id for n in NODES]
    with pytest.raises(InvalidRequestError, match="chunk_size must be at least 1"):
        [c async for c in aembedded_node_chunks(results, NODES, texts_per_request=4, chunk_size=0)]
