"""The LlamaIndex LLM contract, method by method, sync and async, against the emulator.

LlamaIndex ships no standard test suite for integrations; this is ours. Each LlamaIndex entry
point a user or a framework component calls is exercised the way LlamaIndex calls it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_nebius import NebiusLLM
from nebius_inference.testing import Emulator

MakeLLM = Callable[..., NebiusLLM]
QUESTION = [
    ChatMessage(role="system", content="You answer briefly."),
    ChatMessage(role="user", content="Tell me about lighthouses."),
]
CHAT_MODELS = [
    "openai/gpt-oss-120b",
    "Qwen/Qwen3-235B-A22B-Instruct-2507",
    "openai/gpt-oss-120b",
]
REASONING_MODELS = ["Qwen/Qwen3-235B-A22B-Thinking-2507", "Qwen/Qwen3-235B-A22B-Thinking-2507"]


def _usage(response: ChatResponse | CompletionResponse) -> dict[str, Any]:
    usage = response.additional_kwargs
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    return usage


async def _run(llm: NebiusLLM, method: str) -> tuple[str, ChatResponse | CompletionResponse]:
    """Call one of the eight endpoints; return the text and the last response."""
    prompt = "Tell me about lighthouses."
    if method == "chat":
        r: Any = llm.chat(QUESTION)
        return r.message.content, r
    if method == "achat":
        r = await llm.achat(QUESTION)
        return r.message.content, r
    if method == "complete":
        r = llm.complete(prompt)
        return r.text, r
    if method == "acomplete":
        r = await llm.acomplete(prompt)
        return r.text, r
    if method == "stream_chat":
        items = list(llm.stream_chat(QUESTION))
        assert "".join(i.delta or "" for i in items) == items[-1].message.content
        return items[-1].message.content, items[-1]
    if method == "astream_chat":
        items = [i async for i in await llm.astream_chat(QUESTION)]
        assert "".join(i.delta or "" for i in items) == items[-1].message.content
        return items[-1].message.content, items[-1]
    if method == "stream_complete":
        items = list(llm.stream_complete(prompt))
        assert "".join(i.delta or "" for i in items) == items[-1].text
        return items[-1].text, items[-1]
    assert method == "astream_complete"
    items = [i async for i in await llm.astream_complete(prompt)]
    assert "".join(i.delta or "" for i in items) == items[-1].text
    return items[-1].text, items[-1]


METHODS = [
    "chat",
    "achat",
    "complete",
    "acomplete",
    "stream_chat",
    "astream_chat",
    "stream_complete",
    "astream_complete",
]


@pytest.mark.parametrize("model", CHAT_MODELS)
@pytest.mark.parametrize("method", METHODS)
async def test_every_endpoint_answers_with_usage(
    emu: Emulator, make_llm: MakeLLM, model: str, method: str
) -> None:
    text, last = await _run(make_llm(model=model), method)
    assert text and "lighthouse" in text.lower()
    _usage(last)
    (request,) = emu.requests(path="/v1/chat/completions")
    assert request.json["model"] == model
    assert request.json.get("stream", False) is method.startswith(("stream", "astream"))


@pytest.mark.parametrize("model", REASONING_MODELS)
@pytest.mark.parametrize("method", ["chat", "achat", "stream_chat", "astream_chat"])
async def test_reasoning_arrives_as_thinking_blocks(
    make_llm: MakeLLM, model: str, method: str
) -> None:
    _, last = await _run(make_llm(model=model), method)
    assert isinstance(last, ChatResponse)
    thinking = [b for b in last.message.blocks if isinstance(b, ThinkingBlock)]
    assert len(thinking) == 1 and thinking[0].content
    assert last.message.content  # the answer stays separate from the reasoning
    assert thinking[0].content not in (last.message.content or "")


async def test_sync_and_async_give_the_same_reply(make_llm: MakeLLM) -> None:
    llm = make_llm()
    assert llm.chat(QUESTION).message.content == (await llm.achat(QUESTION)).message.content


def test_max_tokens_and_stop_are_honoured(emu: Emulator, make_llm: MakeLLM) -> None:
    response = make_llm(max_tokens=5).chat(QUESTION)
    assert response.additional_kwargs["completion_tokens"] <= 5
    assert response.raw.choices[0].finish_reason == "length"
    assert emu.request_log[-1].json["max_tokens"] == 5


# -- vision ------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["bytes", "path", "data_url"])
def test_images_in_chat_reach_a_vision_model(
    emu: Emulator, make_llm: MakeLLM, tmp_path: Path, source: str
) -> None:
    client = make_llm().client
    png = (
        client.generate_images(
            model="nebius-emulator/text-to-image",
            prompt="a red square",
            width=64,
            height=64,
            response_format="b64_json",
            response_extension="png",
        )
        .data[0]
        .decode()
    )
    if source == "bytes":
        block = ImageBlock(image=png)
    elif source == "path":
        path = tmp_path / "pic.png"
        path.write_bytes(png)
        block = ImageBlock(path=path)
    else:
        block = ImageBlock(url="data:image/png;base64," + base64.b64encode(png).decode())
    llm = make_llm(model="google/gemma-3-27b-it")
    message = ChatMessage(role="user", blocks=[TextBlock(text="What is in this image?"), block])
    assert llm.chat([message]).message.content
    sent = emu.requests(path="/v1/chat/completions")[-1].json["messages"][0]["content"]
    assert sent[1]["type"] == "image_url"
    assert base64.b64decode(sent[1]["image_url"]["url"].split(",", 1)[1]) == png


# -- function calling --------------------------------------------------------------------------


def magic_function(input: int) -> int:
    """Apply the magic function to an integer input."""
    return input * 10 + 7


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


TOOLS = [FunctionTool.from_defaults(fn=magic_function), FunctionTool.from_defaults(fn=add)]
ASK = "What is magic_function(3)?"


def test_the_llm_is_a_function_calling_llm(make_llm: MakeLLM) -> None:
    llm = make_llm()
    assert isinstance(llm, FunctionCallingLLM)
    assert llm.metadata.is_function_calling_model


@pytest.mark.parametrize(
    "method",
    ["chat_with_tools", "achat_with_tools", "stream_chat_with_tools", "astream_chat_with_tools"],
)
async def test_tool_calls_have_schema_valid_arguments(
    emu: Emulator, make_llm: MakeLLM, method: str
) -> None:
    llm = make_llm()
    call: Any = getattr(llm, method)(TOOLS, user_msg=ASK, tool_required=True)
    if method == "achat_with_tools":
        response = await call
    elif method == "stream_chat_with_tools":
        response = list(call)[-1]
    elif method == "astream_chat_with_tools":
        response = [r async for r in await call][-1]
    else:
        response = call
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("magic_function", {"input": 3})
    assert selection.tool_id
    body = emu.requests(path="/v1/chat/completions")[-1].json
    assert body["tool_choice"] == "required"
    assert [t["function"]["name"] for t in body["tools"]] == ["magic_function", "add"]


def test_parallel_calls_are_all_returned(make_llm: MakeLLM) -> None:
    llm = make_llm()
    response = llm.chat_with_tools(
        TOOLS, user_msg="Call add(2, 3) and magic_function(4).", allow_parallel_tool_calls=True
    )
    calls = llm.get_tool_calls_from_response(response)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [
        ("add", {"a": 2, "b": 3}),
        ("magic_function", {"input": 4}),
    ]
    assert len({c.tool_id for c in calls}) == 2


def test_streamed_parallel_calls_are_all_returned(make_llm: MakeLLM) -> None:
    llm = make_llm()
    responses = list(
        llm.stream_chat_with_tools(
            TOOLS, user_msg="Call add(2, 3) and magic_function(4).", allow_parallel_tool_calls=True
        )
    )
    calls = llm.get_tool_calls_from_response(responses[-1])
    assert [c.tool_name for c in calls] == ["add", "magic_function"]
    assert all(isinstance(b, ToolCallBlock) for b in responses[-1].message.blocks[1:])


def test_predict_and_call(make_llm: MakeLLM) -> None:
    result = make_llm().predict_and_call(TOOLS, user_msg=ASK)
    assert result.response == "37"


async def test_apredict_and_call(make_llm: MakeLLM) -> None:
    result = await make_llm().apredict_and_call(TOOLS, user_msg=ASK)
    assert result.response == "37"


def test_tool_results_go_back_to_the_model(emu: Emulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    first = llm.chat_with_tools(TOOLS, user_msg=ASK)
    (call,) = llm.get_tool_calls_from_response(first)
    history = [
        ChatMessage(role="user", content=ASK),
        first.message,
        ChatMessage(role="tool", content="37", additional_kwargs={"tool_call_id": call.tool_id}),
    ]
    answer = llm.chat_with_tools(TOOLS, chat_history=history)
    assert "37" in (answer.message.content or "")
    assert llm.get_tool_calls_from_response(answer, error_on_no_tool_call=False) == []


# -- structured output -------------------------------------------------------------------------


class Lighthouse(BaseModel):
    """A lighthouse."""

    name: str
    height_m: int
    active: bool


PROMPT = PromptTemplate("Describe the lighthouse called {name}.")


def _check_guided(emu: Emulator) -> None:
    body = emu.requests(path="/v1/chat/completions")[-1].json
    assert body["guided_json"] == Lighthouse.model_json_schema()
    assert body["response_format"]["json_schema"]["schema"] == body["guided_json"]
    assert "tool_choice" not in body and "tools" not in body


async def test_structured_predict_sync_and_async(emu: Emulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    sync = llm.structured_predict(Lighthouse, PROMPT, name="Fastnet")
    _check_guided(emu)
    async_ = await llm.astructured_predict(Lighthouse, PROMPT, name="Fastnet")
    _check_guided(emu)
    assert isinstance(sync, Lighthouse) and sync == async_


async def test_stream_structured_predict_sync_and_async(emu: Emulator, make_llm: MakeLLM) -> None:
    llm = make_llm()
    parts = list(llm.stream_structured_predict(Lighthouse, PROMPT, name="Fastnet"))
    _check_guided(emu)
    aparts = [p async for p in await llm.astream_structured_predict(Lighthouse, PROMPT, name="X")]
    assert isinstance(parts[-1], Lighthouse) and isinstance(aparts[-1], Lighthouse)


async def test_as_structured_llm_every_endpoint(emu: Emulator, make_llm: MakeLLM) -> None:
    sllm = make_llm().as_structured_llm(Lighthouse)
    messages = [ChatMessage(role="user", content="Describe the Fastnet lighthouse.")]
    chat = sllm.chat(messages)
    assert isinstance(chat.raw, Lighthouse)
    assert Lighthouse.model_validate(json.loads(chat.message.content or "")) == chat.raw
    _check_guided(emu)
    assert isinstance((await sllm.achat(messages)).raw, Lighthouse)
    assert json.loads(sllm.complete("Describe Fastnet.").text)["name"]
    assert json.loads((await sllm.acomplete("Describe Fastnet.")).text)["name"]


# StructuredLLM's stream_chat/astream_chat (in llama_index.core) call pydantic's deprecated
# ``.json()`` on each partial object; only that warning, from that module, is ignored.
@pytest.mark.filterwarnings(
    "ignore:The `json` method is deprecated:pydantic.warnings.PydanticDeprecatedSince20"
    ":llama_index.core.llms.structured_llm"
)
async def test_as_structured_llm_streams(emu: Emulator, make_llm: MakeLLM) -> None:
    sllm = make_llm().as_structured_llm(Lighthouse)
    messages = [ChatMessage(role="user", content="Describe the Fastnet lighthouse.")]
    streamed = list(sllm.stream_chat(messages))
    _check_guided(emu)
    assert emu.requests(path="/v1/chat/completions")[-1].json["stream"] is True
    assert isinstance(streamed[-1].raw, Lighthouse)
    astreamed = [r async for r in await sllm.astream_chat(messages)]
    assert astreamed[-1].raw == streamed[-1].raw
