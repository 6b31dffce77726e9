"""``ChatNebius`` end to end against the emulator over loopback HTTP."""

from __future__ import annotations

import base64
import textwrap
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ProviderStrategy
from langchain_core.exceptions import (
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    OutputParserException,
)
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

import nebius_inference as ni
from langchain_nebius import (
    ChatNebius,
    NebiusAuthenticationError,
    NebiusImageGenerationTool,
    NebiusIncompleteStreamError,
    NebiusNotFoundError,
    NebiusRateLimitError,
    NebiusStreamError,
)
from nebius_inference.testing import Emulator

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
THINKING = "Qwen/Qwen3-235B-A22B-Thinking-2507"
VISION = "google/gemma-3-27b-it"
FAULT = "x-emulator-fault"


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"It is sunny and 21 degrees in {city}."


@tool
def magic_function(input: int) -> int:
    """Apply a magic function to an input."""
    return input + 2


class Answer(BaseModel):
    """An answer with a confidence."""

    answer: str = Field(description="The answer.")
    confidence: float = Field(description="Confidence between 0 and 1.")


# --- the one-line swap -------------------------------------------------------------------------

CHATOPENAI_SCRIPT = textwrap.dedent(
    '''
    from langchain_openai import ChatOpenAI
    from langchain_core.messages import HumanMessage, SystemMessage
    from langchain_core.tools import tool
    from pydantic import BaseModel, Field


    @tool
    def get_weather(city: str) -> str:
        """Get the current weather in a city."""
        return f"It is sunny in {city}."


    class Answer(BaseModel):
        """An answer with a confidence."""

        answer: str = Field(description="The answer.")
        confidence: float = Field(description="Confidence between 0 and 1.")


    llm = ChatOpenAI(
        model=MODEL,
        temperature=0,
        max_tokens=256,
        timeout=30,
        max_retries=2,
        api_key=API_KEY,
        base_url=BASE_URL,
    )
    reply = llm.invoke([SystemMessage("You are terse."), HumanMessage("Say hello")])
    streamed = "".join(chunk.content for chunk in llm.stream("Tell me about Paris"))
    tool_reply = llm.bind_tools([get_weather]).invoke("What is the weather in Paris?")
    structured = llm.with_structured_output(Answer).invoke("What is 2 + 2?")
    '''
)


def test_a_chatopenai_script_runs_with_only_the_import_and_class_changed(conn: Any) -> None:
    script = CHATOPENAI_SCRIPT.replace(
        "from langchain_openai import ChatOpenAI", "from langchain_nebius import ChatNebius"
    ).replace("ChatOpenAI(", "ChatNebius(")
    assert script.count("\n") == CHATOPENAI_SCRIPT.count("\n")
    namespace: dict[str, Any] = {
        "MODEL": MODEL,
        "API_KEY": conn["api_key"],
        "BASE_URL": conn["base_url"],
    }
    exec(compile(script, "chatopenai_script.py", "exec"), namespace)
    assert isinstance(namespace["reply"], AIMessage)
    assert namespace["reply"].content
    assert namespace["streamed"]
    assert namespace["tool_reply"].tool_calls[0]["name"] == "get_weather"
    assert namespace["tool_reply"].tool_calls[0]["args"] == {"city": "Paris"}
    assert type(namespace["structured"]).__name__ == "Answer"


# --- agents ------------------------------------------------------------------------------------


def _agent_question() -> dict[str, Any]:
    return {"messages": [("user", "What is the weather in Paris? Then what is magic_function(3)?")]}


def _check_tool_loop(messages: list[Any]) -> None:
    tool_results = {m.name: m.content for m in messages if isinstance(m, ToolMessage)}
    assert tool_results == {
        "get_weather": "It is sunny and 21 degrees in Paris.",
        "magic_function": "5",
    }
    final = messages[-1]
    assert isinstance(final, AIMessage)
    assert not final.tool_calls
    assert "5" in str(final.content)


def test_langgraph_agent_completes_a_tool_loop(conn: Any, emu: Emulator) -> None:
    agent = create_agent(ChatNebius(model=MODEL, **conn), [get_weather, magic_function])
    out = agent.invoke(_agent_question())
    _check_tool_loop(out["messages"])
    sent = emu.requests("/v1/chat/completions")
    assert len(sent) == 2
    replayed = sent[1].json["messages"]
    assert replayed[1]["tool_calls"][1]["function"]["arguments"] == '{"input": 3}'
    assert {m["tool_call_id"] for m in replayed if m["role"] == "tool"} == {
        c["id"] for c in replayed[1]["tool_calls"]
    }


class CityWeather(BaseModel):
    city: str
    summary: str


def test_agent_with_a_response_format_uses_tools_then_answers_in_the_schema(
    conn: Any, emu: Emulator
) -> None:
    """The API's guided decoding shapes a whole reply, so native structured output and tool
    calls do not mix in one turn: the profile says so, and create_agent then asks for the
    structured answer as a tool call (as it does for ChatOpenAI pointed at Nebius)."""
    llm = ChatNebius(model=MODEL, **conn)
    assert llm.profile is not None and llm.profile["structured_output"] is False
    agent = create_agent(llm, [get_weather], response_format=CityWeather)
    out = agent.invoke({"messages": [("user", "What is the weather in Paris? Use get_weather.")]})
    answer = out["structured_response"]
    assert isinstance(answer, CityWeather) and answer.city == "Paris" and answer.summary
    ran = [m.content for m in out["messages"] if isinstance(m, ToolMessage)]
    assert "It is sunny and 21 degrees in Paris." in ran
    first = emu.requests("/v1/chat/completions")[0].json
    assert "response_format" not in first
    assert {t["function"]["name"] for t in first["tools"]} == {"get_weather", "CityWeather"}


def test_native_structured_output_after_a_tool_result_is_json(conn: Any) -> None:
    """When asked explicitly, the provider strategy works too: after the tool result the
    reply is JSON for the schema (the emulator applies the constraint to every turn)."""
    agent = create_agent(
        ChatNebius(model=MODEL, **conn),
        [get_weather],
        response_format=ProviderStrategy(CityWeather),
    )
    out = agent.invoke({"messages": [("user", "What is the weather in Paris? Use get_weather.")]})
    assert isinstance(out["structured_response"], CityWeather)
    assert any(isinstance(m, ToolMessage) for m in out["messages"])


async def test_langgraph_agent_async_streaming(conn: Any) -> None:
    agent = create_agent(ChatNebius(model=MODEL, **conn), [get_weather, magic_function])
    out = await agent.ainvoke(_agent_question(), stream_mode="values")
    _check_tool_loop(out["messages"])


# --- streaming, usage, metadata ------------------------------------------------------------


def test_stream_reports_usage_by_default(conn: Any, emu: Emulator) -> None:
    merged: AIMessageChunk | None = None
    for chunk in ChatNebius(model=MODEL, **conn).stream("Write me 2 haikus"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    assert emu.requests()[-1].json["stream_options"] == {"include_usage": True}
    assert merged.usage_metadata is not None
    assert merged.usage_metadata["input_tokens"] > 0
    assert merged.usage_metadata["output_tokens"] > 0
    assert merged.response_metadata["model_name"] == MODEL
    assert merged.response_metadata["finish_reason"] in ("stop", "length")


def test_rate_limit_headers_and_logprobs_in_metadata(conn: Any) -> None:
    llm = ChatNebius(
        model=MODEL, include_response_headers=True, logprobs=True, top_logprobs=2, **conn
    )
    reply = llm.invoke("hello")
    meta = reply.response_metadata
    assert "x-ratelimit-remaining-requests" in meta["headers"]
    assert meta["logprobs"]["content"][0]["top_logprobs"]
    streamed = list(llm.stream("hello"))
    assert sum("headers" in c.response_metadata for c in streamed) == 1


def test_max_tokens_and_stop_reach_the_server(conn: Any, emu: Emulator) -> None:
    reply = ChatNebius(model=MODEL, max_tokens=3, **conn).invoke("Tell me a long story")
    assert reply.response_metadata["finish_reason"] == "length"
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["output_tokens"] == 3
    ChatNebius(model=MODEL, **conn).invoke("hi", stop=["\n"])
    assert emu.requests()[-1].json["stop"] == ["\n"]


async def test_async_batch(conn: Any, emu: Emulator) -> None:
    replies = await ChatNebius(model=MODEL, **conn).abatch(["one", "two", "three"])
    assert all(isinstance(r, AIMessage) and r.content for r in replies)
    assert len(emu.requests("/v1/chat/completions")) == 3


# --- reasoning and vision ------------------------------------------------------------------


def test_reasoning_in_invoke_and_stream(conn: Any) -> None:
    llm = ChatNebius(model=THINKING, **conn)
    reply = llm.invoke("What is 2 + 2?")
    reasoning = reply.additional_kwargs["reasoning_content"]
    assert reasoning
    assert reply.content_blocks[0] == {"type": "reasoning", "reasoning": reasoning}
    merged: AIMessageChunk | None = None
    for chunk in llm.stream("What is 2 + 2?"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    assert merged.additional_kwargs["reasoning_content"] == reasoning
    assert merged.content == reply.content


def test_vision_with_local_images_in_every_block_form(conn: Any) -> None:
    image_tool = NebiusImageGenerationTool(**conn)
    generated = image_tool.invoke(
        {
            "type": "tool_call",
            "id": "img",
            "name": image_tool.name,
            "args": {"prompt": "a red square", "width": 64, "height": 96, "format": "jpg"},
        }
    )
    data = base64.b64encode(generated.artifact["data"]).decode()
    llm = ChatNebius(model=VISION, **conn)
    blocks: list[dict[str, Any]] = [
        {"type": "image", "base64": data, "mime_type": "image/jpeg"},
        {"type": "image", "source_type": "base64", "data": data, "mime_type": "image/jpeg"},
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{data}"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": data}},
    ]
    for block in blocks:
        reply = llm.invoke([HumanMessage([{"type": "text", "text": "What is this?"}, block])])
        assert "JPEG 64x96" in str(reply.content)


def test_broken_image_data_is_rejected_by_the_server(conn: Any) -> None:
    llm = ChatNebius(model=VISION, **conn)
    broken = {"type": "image", "base64": "bm90IGFuIGltYWdl", "mime_type": "image/png"}
    with pytest.raises(ModelInvalidRequestError, match="not a valid image"):
        llm.invoke([HumanMessage([{"type": "text", "text": "What?"}, broken])])


# --- structured output ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["guided_json", "json_schema", "function_calling"])
def test_structured_output_methods(conn: Any, emu: Emulator, method: str) -> None:
    llm = ChatNebius(model=MODEL, **conn).with_structured_output(Answer, method=method)
    result = llm.invoke("What is 2 + 2?")
    assert isinstance(result, Answer)
    streamed = list(llm.stream("What is 2 + 2?"))
    assert streamed
    assert streamed[-1] == result  # deterministic server: same request, same reply
    body = emu.requests()[-1].json
    if method == "guided_json":
        assert body["guided_json"]["required"] == ["answer", "confidence"]
        assert body["response_format"]["json_schema"]["schema"] == body["guided_json"]
    elif method == "json_schema":
        assert body["response_format"]["type"] == "json_schema"
    else:
        assert body["tool_choice"] == {"type": "function", "function": {"name": "Answer"}}


async def test_structured_output_async_with_include_raw(conn: Any) -> None:
    llm = ChatNebius(model=MODEL, **conn).with_structured_output(Answer, include_raw=True)
    out = await llm.ainvoke("What is 2 + 2?")
    assert isinstance(out["parsed"], Answer)
    assert out["parsing_error"] is None
    assert isinstance(out["raw"], AIMessage)


class Recipe(BaseModel):
    """A recipe."""

    title: str
    steps: list[str]


def test_schema_mismatch_from_the_server_is_caught(conn: Any) -> None:
    # json_mode sends no schema and the prompt names no keys: the JSON cannot be a Recipe.
    llm = ChatNebius(model=MODEL, **conn).with_structured_output(Recipe, method="json_mode")
    with pytest.raises(OutputParserException) as caught:
        llm.invoke("What is 2 + 2?")
    assert caught.value.llm_output
    assert caught.value.llm_output.startswith("{")


# --- errors ------------------------------------------------------------------------------------


def test_bad_key_and_unknown_model(conn: Any) -> None:
    with pytest.raises(NebiusAuthenticationError) as caught:
        ChatNebius(model=MODEL, base_url=conn["base_url"], api_key="wrong-key").invoke("x")
    assert "wrong-key" not in str(caught.value)
    with pytest.raises(NebiusNotFoundError) as not_found:
        ChatNebius(model="no/such-model", **conn).invoke("x")
    assert isinstance(not_found.value, ModelNotFoundError)
    assert isinstance(not_found.value, ni.NotFoundError)


def test_rate_limits_are_retried_by_the_core_then_raised(conn: Any, emu: Emulator) -> None:
    llm = ChatNebius(model=MODEL, max_retries=2, **conn)
    reply = llm.invoke("hi", extra_headers={FAULT: "rate_limit;times=2;key=a"})
    assert reply.content
    assert len(emu.requests("/v1/chat/completions")) == 3
    with pytest.raises(NebiusRateLimitError):
        llm.invoke("hi", extra_headers={FAULT: "rate_limit;times=*;key=b"})


def test_stream_faults_become_langchain_errors(conn: Any) -> None:
    llm = ChatNebius(model=MODEL, max_tokens=40, **conn)
    with pytest.raises(NebiusIncompleteStreamError) as cut:
        list(llm.stream("tell me more", extra_headers={FAULT: "stream_cut;after=2;key=c"}))
    assert isinstance(cut.value, ModelConnectionError)
    with pytest.raises(NebiusStreamError, match="boom"):
        list(llm.stream("tell me", extra_headers={FAULT: "stream_error;message=boom;key=d"}))


async def test_async_stream_faults(conn: Any) -> None:
    llm = ChatNebius(model=MODEL, max_tokens=40, **conn)
    with pytest.raises(NebiusIncompleteStreamError):
        [c async for c in llm.astream("more", extra_headers={FAULT: "stream_cut;key=e"})]
