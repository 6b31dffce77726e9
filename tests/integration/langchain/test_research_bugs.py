"""One test per bug of the older Nebius LangChain packages that applies here
(``research/langchain-anchors.md``), run against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.load import dumpd, dumps
from langchain_core.messages import AIMessageChunk
from pydantic import BaseModel

from langchain_nebius import (
    ChatNebius,
    NebiusEmbeddings,
    NebiusImageGenerationTool,
    NebiusLLM,
    NebiusRerank,
)
from nebius_inference import DEFAULT_BASE_URL, NebiusClient
from nebius_inference.testing import Emulator


class Joke(BaseModel):
    """A joke."""

    setup: str
    punchline: str


def test_response_format_paths_do_not_crash(conn: Any, emu: Emulator) -> None:
    """Bug 1: json_schema, json_mode and a bound response_format crashed (no root client)."""
    llm = ChatNebius(**conn)
    assert isinstance(llm.with_structured_output(Joke, method="json_schema").invoke("j"), Joke)
    assert isinstance(llm.with_structured_output(method="json_mode").invoke("j"), dict)
    reply = llm.bind(response_format={"type": "json_object"}).invoke("a joke")
    assert str(reply.content).startswith("{")
    streamed = list(llm.with_structured_output(Joke, method="json_schema").stream("j"))
    assert isinstance(streamed[-1], Joke)
    assert [r.json["response_format"]["type"] for r in emu.requests()] == [
        "json_schema",
        "json_object",
        "json_object",
        "json_schema",
    ]


def test_streaming_usage_is_reported_without_opting_in(conn: Any) -> None:
    """Bug 2: no usage in streams unless stream_usage=True."""
    merged: AIMessageChunk | None = None
    for chunk in ChatNebius(**conn).stream("hello"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    assert merged.usage_metadata is not None
    assert merged.usage_metadata["total_tokens"] > 0


def test_embeddings_batch_texts_and_honour_chunk_size(conn: Any, emu: Emulator) -> None:
    """Bug 3: one request per text; chunk_size ignored; dimensions said to be unsupported."""
    vectors = NebiusEmbeddings(chunk_size=50, dimensions=64, **conn).embed_documents(
        [f"text {i}" for i in range(120)]
    )
    requests = emu.requests("/v1/embeddings")
    assert sorted(len(r.json["input"]) for r in requests) == [20, 50, 50]
    assert len(vectors) == 120
    assert {len(v) for v in vectors} == {64}


def test_every_class_says_which_variable_to_set_when_the_key_is_missing() -> None:
    """Bug 4: a missing key gave a TypeError from inside a validator."""
    for cls in (ChatNebius, NebiusLLM, NebiusEmbeddings, NebiusRerank, NebiusImageGenerationTool):
        with pytest.raises(ValueError, match="NEBIUS_API_KEY"):
            cls()


def test_tool_schema_shows_the_model_only_image_arguments(conn: Any) -> None:
    """Bug 5: a tool put the retriever object, api_key included, in its LLM-facing schema."""
    tool = NebiusImageGenerationTool(**conn)
    properties = tool.tool_call_schema.model_json_schema()["properties"]
    assert set(properties) == {
        "prompt",
        "negative_prompt",
        "width",
        "height",
        "num_inference_steps",
        "seed",
        "format",
    }
    assert conn["api_key"] not in str(tool.tool_call_schema.model_json_schema())


def test_default_base_url_is_token_factory() -> None:
    """Bug 6: the default base URL was the legacy api.studio.nebius.ai host."""
    llm = ChatNebius(api_key="k")
    client = llm._get_client()
    assert client.base_url == DEFAULT_BASE_URL == "https://api.tokenfactory.nebius.com/v1"
    client.close()


def test_default_models_are_served(conn: Any) -> None:
    """Bug 6: a stale default chat model (a retired -fast variant)."""
    with NebiusClient(**conn) as client:
        served = {m.id for m in client.list_models().data}
    defaults = {
        ChatNebius(**conn).model_name,
        NebiusLLM(**conn).model_name,
        NebiusEmbeddings(**conn).model,
        NebiusRerank(**conn).model,
    }
    assert defaults <= served
    # No image default: the tool takes the first image model the listing names.
    assert NebiusImageGenerationTool(**conn).model is None
    _, artifact = NebiusImageGenerationTool(**conn)._run(prompt="a boat", width=64, height=64)
    assert artifact["model"] in served


def test_reasoning_is_kept_and_provider_is_nebius(conn: Any) -> None:
    """Bug 7: reasoning_content dropped; model_provider "openai"; no profile."""
    llm = ChatNebius(model="Qwen/Qwen3-235B-A22B-Thinking-2507", **conn)
    reply = llm.invoke("Why is the sky blue?")
    assert reply.additional_kwargs["reasoning_content"]
    assert reply.response_metadata["model_provider"] == "nebius"
    assert llm.profile is not None
    assert llm.profile["reasoning_output"] is True


def test_chat_model_is_serializable_without_the_key(conn: Any) -> None:
    """Bug 7: is_lc_serializable was False."""
    llm = ChatNebius(**conn)
    assert ChatNebius.is_lc_serializable()
    assert dumpd(llm)["kwargs"]["api_key"]["type"] == "secret"
    assert conn["api_key"] not in dumps(llm)


def test_max_completion_tokens_is_sent_as_max_tokens(conn: Any, emu: Emulator) -> None:
    """max_tokens vs max_completion_tokens: Nebius documents max_tokens."""
    ChatNebius(max_completion_tokens=7, **conn).invoke("hi")
    body = emu.requests()[-1].json
    assert body["max_tokens"] == 7
    assert "max_completion_tokens" not in body


def test_structured_output_does_not_force_parallel_tool_calls(conn: Any, emu: Emulator) -> None:
    """parallel_tool_calls was sent by function-calling structured output and rejected."""
    llm = ChatNebius(**conn)
    assert isinstance(llm.with_structured_output(Joke, method="function_calling").invoke("j"), Joke)
    assert "parallel_tool_calls" not in emu.requests()[-1].json
