"""Each bug the existing Nebius/OpenAI-like LlamaIndex packages have, as a test against the
emulator. (Streamed tool-call deltas with several calls per chunk and repeated ids need a
scripted server: they are in tests/unit/llama_index/test_li_convert.py and
test_li_llm_tools.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from li_events import recording_events
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_nebius import NebiusEmbedding, NebiusLLM, NebiusRerank
from nebius_inference import (
    AuthenticationError,
    ConfigurationError,
    InternalServerError,
    _retry,
)
from nebius_inference.testing import Emulator

MakeLLM = Callable[..., NebiusLLM]
HI = [ChatMessage(role="user", content="Hello there")]


# 1. A missing NEBIUS_API_KEY silently fell back to OPENAI_API_KEY; the old host was the default.
def test_env_precedence_and_no_openai_fallback(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", emu.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
    with pytest.raises(ConfigurationError, match="NEBIUS_API_KEY"):
        NebiusLLM()
    monkeypatch.setenv("NEBIUS_API_KEY", emu.api_key)
    monkeypatch.setenv("NEBIUS_API_BASE", emu.base_url)  # the older packages' variable
    assert NebiusLLM().chat(HI).message.content
    monkeypatch.setenv("NEBIUS_BASE_URL", "http://127.0.0.1:9/v1")  # wins over NEBIUS_API_BASE
    assert NebiusLLM().client.base_url == "http://127.0.0.1:9/v1"
    monkeypatch.delenv("NEBIUS_BASE_URL")
    monkeypatch.delenv("NEBIUS_API_BASE")
    assert NebiusLLM().client.base_url == "https://api.tokenfactory.nebius.com/v1"


# 2. context_window defaulted to 3,900 and is_function_calling_model to False for every model.
def test_metadata_follows_the_model_listing(emu: Emulator, make_llm: MakeLLM) -> None:
    listing = make_llm().client.list_models(verbose=True)
    chat_models = [
        m for m in listing.data if (m.architecture or {}).get("modality", "").endswith("->text")
    ]
    assert len(chat_models) >= 5
    for model in chat_models:
        meta = make_llm(model=model.id, fetch_metadata=True).metadata
        if model.context_length:
            assert meta.context_window == model.context_length
        assert meta.is_function_calling_model == model.supports("tools")
        assert meta.context_window != DEFAULT_CONTEXT_WINDOW
    assert make_llm(model="openai/gpt-oss-120b").metadata.context_window == 131_072


# 3. FunctionAgent rejected the LLM ("LLM must be a FunctionCallingLLM").
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20:inspect")
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211:inspect")
async def test_function_agent_accepts_the_llm(make_llm: MakeLLM) -> None:
    def magic_function(input: int) -> int:
        """Apply the magic function."""
        return input + 100

    agent = FunctionAgent(tools=[FunctionTool.from_defaults(fn=magic_function)], llm=make_llm())
    result = await agent.run(user_msg="What is magic_function(2)?")
    assert [t.tool_output.content for t in result.tool_calls] == ["102"]


# 4. structured_predict sent tool_choice="required" without tools.
class Answer(BaseModel):
    city: str
    population: int


def test_structured_predict_body(emu: Emulator, make_llm: MakeLLM) -> None:
    answer = make_llm().structured_predict(Answer, PromptTemplate("Largest city of {c}?"), c="NO")
    assert isinstance(answer, Answer)
    body = emu.requests(path="/v1/chat/completions")[-1].json
    assert body["guided_json"] == Answer.model_json_schema()
    assert body["response_format"]["json_schema"]["schema"] == body["guided_json"]
    assert "tool_choice" not in body and "tools" not in body


# 5. Streams reported no token usage unless stream_options.include_usage was set by hand.
async def test_usage_on_streams(make_llm: MakeLLM) -> None:
    llm = make_llm()
    plain = llm.chat(HI).additional_kwargs
    streamed = list(llm.stream_chat(HI))[-1].additional_kwargs
    astreamed = [r async for r in await llm.astream_chat(HI)][-1].additional_kwargs
    assert plain == streamed == astreamed
    assert plain["total_tokens"] == plain["prompt_tokens"] + plain["completion_tokens"] > 0


# 6. Constructor additional_kwargs overrode per-call kwargs (a per-call extra_body was lost).
def test_per_call_kwargs_win(emu: Emulator, make_llm: MakeLLM) -> None:
    llm = make_llm(temperature=0.1, additional_kwargs={"top_k": 5, "extra_body": {"seed": 1}})
    llm.chat(HI, temperature=0.7, top_k=9, extra_body={"seed": 2})
    body = emu.requests(path="/v1/chat/completions")[-1].json
    assert (body["temperature"], body["top_k"], body["seed"]) == (0.7, 9, 2)


# 7. Retries ran twice over (SDK retries x tenacity): max_retries=2 gave 6 attempts.
def test_retry_count(emu: Emulator, make_llm: MakeLLM) -> None:
    emu.inject("error;status=503;times=2")
    assert make_llm(max_retries=2).chat(HI).message.content
    assert len(emu.requests(path="/v1/chat/completions")) == 3
    emu.reset()
    emu.inject("error;status=500;times=*")
    with pytest.raises(InternalServerError):
        make_llm(max_retries=2).chat(HI)
    assert len(emu.requests(path="/v1/chat/completions")) == 3  # not 6


def test_rate_limit_retry_after_is_honoured(emu: Emulator, make_llm: MakeLLM) -> None:
    _retry.set_testing(True)
    emu.inject("rate_limit;retry_after=1.5;times=1")
    assert make_llm().chat(HI).message.content
    assert _retry.recorded_sleeps() == [1.5]


# 8. ImageBlock serialisation (and the broken multi-modal package): images go as image_url.
def test_image_block_serialisation(emu: Emulator, make_llm: MakeLLM) -> None:
    png = (
        make_llm()
        .client.generate_images(
            model="nebius-emulator/text-to-image",
            prompt="dot",
            width=64,
            height=64,
            response_format="b64_json",
            response_extension="png",
        )
        .data[0]
        .decode()
    )
    message = ChatMessage(role="user", blocks=[TextBlock(text="What?"), ImageBlock(image=png)])
    assert make_llm(model="google/gemma-3-27b-it").chat([message]).message.content
    part = emu.requests(path="/v1/chat/completions")[-1].json["messages"][0]["content"][1]
    assert part["image_url"]["url"].startswith("data:image/png;base64,")


# 9. Embeddings: batch size honoured; async concurrency unbounded (cap tested in unit tests).
async def test_embedding_batches(emu: Emulator, connect: dict[str, Any]) -> None:
    embed = NebiusEmbedding(embed_batch_size=3, **connect)
    await embed.aget_text_embedding_batch([f"doc {i}" for i in range(7)])
    sizes = sorted(len(r.json["input"]) for r in emu.requests(path="/v1/embeddings"))
    assert sizes == [1, 3, 3]


# 10. The key showed in repr() and to_dict(); errors must not show it either.
def test_secret_redaction(emu: Emulator, connect: dict[str, Any]) -> None:
    secret = "nb-conformance-secret-1234"
    components = [
        NebiusLLM(api_key=secret, base_url=emu.base_url),
        NebiusEmbedding(api_key=secret, base_url=emu.base_url),
        NebiusRerank(api_key=secret, base_url=emu.base_url),
    ]
    for component in components:
        for text in (repr(component), str(component), component.to_json()):
            assert secret not in text
        assert secret not in json.dumps(component.to_dict())
    with pytest.raises(AuthenticationError) as info:
        components[0].chat(HI)
    assert secret not in str(info.value) and secret not in repr(info.value)


# 11. Instrumentation events are emitted (observability tools depend on them).
def test_instrumentation_events(make_llm: MakeLLM, connect: dict[str, Any]) -> None:
    with recording_events() as handler:
        llm = make_llm()
        llm.chat(HI)
        list(llm.stream_chat(HI))
        NebiusEmbedding(**connect).get_text_embedding_batch(["a", "b"])
        from llama_index.core.schema import NodeWithScore, TextNode

        NebiusRerank(**connect).postprocess_nodes(
            [NodeWithScore(node=TextNode(text="a b")), NodeWithScore(node=TextNode(text="c"))],
            query_str="a",
        )
    for name in (
        "LLMChatStartEvent",
        "LLMChatInProgressEvent",
        "LLMChatEndEvent",
        "EmbeddingStartEvent",
        "EmbeddingEndEvent",
        "ReRankStartEvent",
        "ReRankEndEvent",
    ):
        assert name in handler.names(), name
