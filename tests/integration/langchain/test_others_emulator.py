"""Contract tests for ``NebiusLLM``, ``NebiusEmbeddings``, ``NebiusRerank`` and
``NebiusImageGenerationTool`` against the emulator."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.exceptions import ModelNotFoundError
from langchain_core.messages import ToolMessage
from pydantic import ValidationError

from langchain_nebius import (
    NebiusEmbeddings,
    NebiusImageGenerationTool,
    NebiusLLM,
    NebiusNotFoundError,
    NebiusRerank,
)
from nebius_inference.testing import Emulator

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"

# --- NebiusLLM ------------------------------------------------------------------------------


def test_llm_invoke_with_usage_logprobs_and_echo(conn: Any, emu: Emulator) -> None:
    llm = NebiusLLM(model=MODEL, max_tokens=5, logprobs=2, echo=True, **conn)
    result = llm.generate(["hello world"])
    (generation,) = result.generations[0]
    assert generation.text.startswith("hello world")  # echo
    assert generation.generation_info is not None
    logprobs = generation.generation_info["logprobs"]
    assert logprobs["tokens"][:2] == ["hello", " world"]
    assert len(logprobs["top_logprobs"][-1]) == 2
    assert result.llm_output is not None
    usage = result.llm_output["token_usage"]
    assert usage["completion_tokens"] == 5
    assert usage["total_tokens"] == usage["prompt_tokens"] + 5
    assert emu.requests()[-1].json["logprobs"] == 2


def test_llm_stop_and_max_tokens(conn: Any, emu: Emulator) -> None:
    llm = NebiusLLM(model=MODEL, max_tokens=4, **conn)
    text = llm.invoke("The capital of France is", stop=["."])
    assert isinstance(text, str)
    assert text
    assert emu.requests()[-1].json["stop"] == ["."]
    assert emu.requests()[-1].json["max_tokens"] == 4


def test_llm_batch_sends_prompts_together(conn: Any, emu: Emulator) -> None:
    llm = NebiusLLM(model=MODEL, max_tokens=12, batch_size=2, **conn)
    prompts = ["about cats", "about dogs", "about birds"]
    result = llm.generate(prompts)
    assert len(emu.requests("/v1/completions")) == 2  # 2 + 1 prompts
    texts = [gens[0].text for gens in result.generations]
    for prompt, text in zip(prompts, texts):
        assert prompt.split()[1] in text  # the emulator answers about the prompt
    single = [llm.invoke(p) for p in prompts]
    assert texts == single


def test_llm_stream(conn: Any, emu: Emulator) -> None:
    llm = NebiusLLM(model=MODEL, max_tokens=8, **conn)
    chunks = list(llm.stream("Tell me about cats"))
    assert len(chunks) > 1
    assert "".join(chunks) == llm.invoke("Tell me about cats")
    assert emu.requests()[-2].json["stream"] is True


async def test_llm_async(conn: Any) -> None:
    llm = NebiusLLM(model=MODEL, max_tokens=8, **conn)
    text = await llm.ainvoke("Tell me about cats")
    chunks = [c async for c in llm.astream("Tell me about cats")]
    assert "".join(chunks) == text
    assert await llm.abatch(["a b", "c d"]) == [llm.invoke("a b"), llm.invoke("c d")]


def test_llm_streaming_field(conn: Any) -> None:
    streamed = NebiusLLM(model=MODEL, max_tokens=8, streaming=True, **conn).invoke("cats")
    assert streamed == NebiusLLM(model=MODEL, max_tokens=8, **conn).invoke("cats")


def test_llm_errors_are_langchain_errors(conn: Any) -> None:
    with pytest.raises(NebiusNotFoundError) as caught:
        NebiusLLM(model="no/such", **conn).invoke("x")
    assert isinstance(caught.value, ModelNotFoundError)


# --- NebiusEmbeddings ------------------------------------------------------------------------


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_embeddings_are_batched_ordered_and_meaningful(conn: Any, emu: Emulator) -> None:
    texts = [f"document number {i} about topic {i % 3}" for i in range(10)]
    embeddings = NebiusEmbeddings(chunk_size=4, **conn)
    vectors = embeddings.embed_documents(texts)
    assert len(emu.requests("/v1/embeddings")) == 3  # 4 + 4 + 2
    # Sent concurrently: they may arrive in any order.
    assert sorted(len(r.json["input"]) for r in emu.requests("/v1/embeddings")) == [2, 4, 4]
    assert all(r.json["encoding_format"] == "base64" for r in emu.requests("/v1/embeddings"))
    assert len(vectors) == 10
    assert {len(v) for v in vectors} == {4096}
    assert vectors[7] == embeddings.embed_query(texts[7])  # same order as the input
    query = embeddings.embed_query("paris france capital")
    close = embeddings.embed_query("the capital of france is paris")
    far = embeddings.embed_query("cats purr softly")
    assert _cosine(query, close) > _cosine(query, far)


async def test_embeddings_async_and_dimensions(conn: Any, emu: Emulator) -> None:
    embeddings = NebiusEmbeddings(dimensions=256, batch_size=2, max_concurrency=2, **conn)
    vectors = await embeddings.aembed_documents(["a", "b", "c", "d", "e"])
    assert [len(v) for v in vectors] == [256] * 5
    assert vectors == embeddings.embed_documents(["a", "b", "c", "d", "e"])
    assert len(await embeddings.aembed_query("a")) == 256
    assert all(r.json["dimensions"] == 256 for r in emu.requests("/v1/embeddings"))


async def test_embeddings_empty_input_sends_nothing(conn: Any, emu: Emulator) -> None:
    embeddings = NebiusEmbeddings(**conn)
    assert embeddings.embed_documents([]) == []
    assert await embeddings.aembed_documents([]) == []
    assert emu.requests() == []
    # Empty strings are sent as they are.
    assert len(embeddings.embed_documents(["", "x"])) == 2


# --- NebiusRerank ------------------------------------------------------------------------------

DOCS = [
    Document("Cats purr when they are content.", metadata={"source": "a"}, id="d1"),
    Document("Paris is the capital of France.", metadata={"source": "b"}, id="d2"),
    Document("Berlin is the capital of Germany.", metadata={"source": "c"}, id="d3"),
    Document("Bananas are yellow.", metadata={"source": "d"}, id="d4"),
]


def test_rerank_orders_keeps_metadata_and_honours_top_n(conn: Any, emu: Emulator) -> None:
    reranked = NebiusRerank(top_n=2, **conn).compress_documents(DOCS, "capital of France")
    assert [d.id for d in reranked] == ["d2", "d3"]
    assert reranked[0].metadata["source"] == "b"
    scores = [d.metadata["relevance_score"] for d in reranked]
    assert scores == sorted(scores, reverse=True)
    assert emu.requests()[-1].json["top_n"] == 2
    assert emu.requests()[-1].json["model"] == "Qwen/Qwen3-Reranker-8B"
    assert "relevance_score" not in DOCS[1].metadata  # the inputs are not changed
    everything = NebiusRerank(top_n=None, **conn).compress_documents(DOCS, "capital of France")
    assert len(everything) == 4


async def test_rerank_async_and_empty(conn: Any, emu: Emulator) -> None:
    reranker = NebiusRerank(top_n=10, **conn)
    reranked = await reranker.acompress_documents(DOCS, "yellow bananas")
    assert reranked[0].id == "d4"
    assert len(reranked) == 4  # top_n larger than the list
    assert emu.requests()[-1].json["top_n"] == 4
    emu.reset()
    assert reranker.compress_documents([], "q") == []
    assert await reranker.acompress_documents([], "q") == []
    assert emu.requests() == []


# --- NebiusImageGenerationTool -------------------------------------------------------------

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff", "webp": b"RIFF"}


def _call(tool: NebiusImageGenerationTool, **args: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": "call-1", "name": tool.name, "args": args}


@pytest.mark.parametrize("fmt", ["png", "jpg", "webp"])
def test_image_tool_returns_real_images_as_artifacts(conn: Any, emu: Emulator, fmt: str) -> None:
    tool = NebiusImageGenerationTool(**conn)
    message = tool.invoke(_call(tool, prompt="a lighthouse", width=96, height=64, format=fmt))
    assert isinstance(message, ToolMessage)
    assert isinstance(message.content, str)
    assert "96x64" in message.content
    artifact = message.artifact
    assert artifact["data"].startswith(MAGIC[fmt])
    assert artifact["mime_type"] == {"png": "image/png", "jpg": "image/jpeg"}.get(fmt, "image/webp")
    assert (artifact["width"], artifact["height"], artifact["path"]) == (96, 64, None)
    sent = emu.requests("/v1/images/generations")[-1].json
    assert sent["response_extension"] == fmt
    assert sent["response_format"] == "b64_json"


def test_image_tool_saves_files(conn: Any, tmp_path: Path) -> None:
    tool = NebiusImageGenerationTool(save_dir=str(tmp_path / "images"), **conn)
    message = tool.invoke(_call(tool, prompt="a fox", width=64, height=64, seed=3))
    saved = Path(message.artifact["path"])
    assert saved.read_bytes() == message.artifact["data"]
    assert str(saved) in message.content
    again = tool.invoke(_call(tool, prompt="a fox", width=64, height=64, seed=3))
    assert Path(again.artifact["path"]).read_bytes() == message.artifact["data"]  # same seed
    assert again.artifact["path"] != message.artifact["path"]


async def test_image_tool_saves_files_async(conn: Any, tmp_path: Path) -> None:
    tool = NebiusImageGenerationTool(save_dir=str(tmp_path), **conn)
    message = await tool.ainvoke(_call(tool, prompt="a fox", width=64, height=64, format="webp"))
    saved = await asyncio.to_thread(Path(message.artifact["path"]).read_bytes)
    assert saved == message.artifact["data"]
    assert saved.startswith(MAGIC["webp"])


def test_image_tool_rejects_bad_sizes_before_sending(conn: Any, emu: Emulator) -> None:
    tool = NebiusImageGenerationTool(**conn)
    for args in ({"width": 4096}, {"height": 10}, {"num_inference_steps": 0}, {"format": "gif"}):
        with pytest.raises(ValidationError):
            tool.invoke(_call(tool, prompt="x", **args))
    assert emu.requests() == []
