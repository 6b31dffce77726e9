"""The LlamaIndex contract of NebiusEmbedding, NebiusRerank and NebiusImageToolSpec, sync and
async, against the emulator."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import ImageBlock
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools.tool_spec.base import BaseToolSpec

from llama_index_nebius import NebiusEmbedding, NebiusImageToolSpec, NebiusRerank
from nebius_inference.testing import Emulator

TEXTS = [
    "The cat sat on the warm mat.",
    "A cat and a kitten sat together.",
    "Stock markets fell sharply on Monday.",
]

# -- embeddings --------------------------------------------------------------------------------


async def test_embedding_methods_agree_sync_and_async(embed_model: NebiusEmbedding) -> None:
    assert isinstance(embed_model, BaseEmbedding)
    query = embed_model.get_query_embedding("cat on a mat")
    assert len(query) == 4096
    assert query == await embed_model.aget_query_embedding("cat on a mat")
    text = embed_model.get_text_embedding(TEXTS[0])
    assert text == await embed_model.aget_text_embedding(TEXTS[0])
    batch = embed_model.get_text_embedding_batch(TEXTS)
    assert batch == await embed_model.aget_text_embedding_batch(TEXTS)
    assert batch[0] == text


def test_similar_texts_are_closer(embed_model: NebiusEmbedding) -> None:
    cat, kitten, markets = embed_model.get_text_embedding_batch(TEXTS)
    assert embed_model.similarity(cat, kitten) > embed_model.similarity(cat, markets)


async def test_embedding_nodes_as_a_transformation(embed_model: NebiusEmbedding) -> None:
    nodes = [TextNode(text=t) for t in TEXTS]
    embedded = embed_model(nodes)
    assert all(n.embedding is not None and len(n.embedding) == 4096 for n in embedded)
    aembedded = await embed_model.acall([TextNode(text=t) for t in TEXTS])
    assert [n.embedding for n in aembedded] == [n.embedding for n in embedded]


def test_batches_and_dimensions_reach_the_api(emu: Emulator, connect: dict) -> None:
    embed = NebiusEmbedding(embed_batch_size=2, dimensions=256, **connect)
    vectors = embed.get_text_embedding_batch([f"text {i}" for i in range(5)])
    assert [len(v) for v in vectors] == [256] * 5
    sent = [r.json for r in emu.requests(path="/v1/embeddings")]
    assert [len(b["input"]) for b in sent] == [2, 2, 1]
    assert all(b["encoding_format"] == "base64" and b["dimensions"] == 256 for b in sent)


def test_query_instruction_changes_only_queries(emu: Emulator, connect: dict) -> None:
    embed = NebiusEmbedding(
        model_name="Qwen/Qwen3-Embedding-8B", query_instruction="Represent this query: ", **connect
    )
    embed.get_query_embedding("cats")
    embed.get_text_embedding("cats")
    inputs = [r.json["input"] for r in emu.requests(path="/v1/embeddings")]
    assert inputs == [["Represent this query: cats"], ["cats"]]


# -- rerank ------------------------------------------------------------------------------------


def _nodes() -> list[NodeWithScore]:
    return [
        NodeWithScore(node=TextNode(text=t, id_=str(i)), score=0.5) for i, t in enumerate(TEXTS)
    ]


async def test_rerank_sync_and_async(rerank: NebiusRerank, emu: Emulator) -> None:
    assert isinstance(rerank, BaseNodePostprocessor)
    query = QueryBundle("Where did the cat sit?")
    ranked = rerank.postprocess_nodes(_nodes(), query)
    aranked = await rerank.apostprocess_nodes(_nodes(), query)
    assert [n.node.node_id for n in ranked] == [n.node.node_id for n in aranked]
    assert len(ranked) == 2
    assert ranked[0].node.node_id in ("0", "1")
    assert "2" not in [n.node.node_id for n in ranked]
    assert ranked[0].score is not None and ranked[0].score >= (ranked[1].score or 0)
    body = emu.requests(path="/v1/rerank")[0].json
    assert body["model"] == "Qwen/Qwen3-Reranker-8B" and body["top_n"] == 2


# -- image tool --------------------------------------------------------------------------------

MAGIC = {"png": b"\x89PNG", "jpg": b"\xff\xd8\xff", "webp": b"RIFF"}


@pytest.mark.parametrize("image_format", ["png", "jpg", "webp"])
async def test_images_in_each_format_sync_and_async(
    image_spec: NebiusImageToolSpec, image_format: str
) -> None:
    assert isinstance(image_spec, BaseToolSpec)
    (block,) = image_spec.generate_image("a blue boat", width=320, height=200, format=image_format)  # type: ignore[arg-type]
    data = block.resolve_image().read()
    assert data.startswith(MAGIC[image_format])
    (ablock,) = await image_spec.agenerate_image(
        "a blue boat",
        width=320,
        height=200,
        format=image_format,  # type: ignore[arg-type]
    )
    assert ablock.resolve_image().read().startswith(MAGIC[image_format])


def test_png_has_the_requested_size_and_seed_is_reproducible(
    image_spec: NebiusImageToolSpec,
) -> None:
    (first,) = image_spec.generate_image("a lighthouse", width=320, height=200, seed=11)
    (again,) = image_spec.generate_image("a lighthouse", width=320, height=200, seed=11)
    data = first.resolve_image().read()
    assert struct.unpack(">II", data[16:24]) == (320, 200)
    assert data == again.resolve_image().read()


def test_save_dir(connect: dict, tmp_path: Path) -> None:
    spec = NebiusImageToolSpec(save_dir=tmp_path, **connect)
    (block,) = spec.generate_image("a kite", width=64, height=64)
    assert block.path is not None and block.path.parent == tmp_path
    assert block.path.read_bytes().startswith(b"\x89PNG")


async def test_tools_for_agents(image_spec: NebiusImageToolSpec, emu: Emulator) -> None:
    (tool,) = image_spec.to_tool_list()
    output = await tool.acall(prompt="a red kite", width=128, height=128)
    assert isinstance(output.blocks[0], ImageBlock)
    assert not output.is_error
    body = emu.requests(path="/v1/images/generations")[0].json
    assert (body["width"], body["height"], body["response_format"]) == (128, 128, "b64_json")
