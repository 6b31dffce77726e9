"""``ChatNebius`` against the scripted fake API (``tests/fakes``, on both send routes): what it
sends, what it makes of the replies. Each research bug that applies has a test here (see the
test names)."""

from __future__ import annotations

import copy
import json
import pickle
import traceback
import warnings
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelRateLimitError,
    OutputParserException,
)
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.rate_limiters import InMemoryRateLimiter
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

import nebius_inference as ni
from langchain_nebius import (
    ChatNebius,
    NebiusAuthenticationError,
    NebiusIncompleteStreamError,
    NebiusRateLimitError,
)


class Joke(BaseModel):
    """A joke."""

    setup: str = Field(description="The setup.")
    punchline: str = Field(description="The punchline.")


class JokeDict(TypedDict):
    """A joke."""

    setup: str
    punchline: str


JOKE = '{"setup": "Why?", "punchline": "Because."}'


def make_chat(fake: Any, **kwargs: Any) -> ChatNebius:
    return ChatNebius(**{"model": "Qwen/Qwen3-235B-A22B-Instruct-2507", **fake.kwargs(), **kwargs})


# --- constructor (one-line swap from ChatOpenAI) ----------------------------------------------


def test_chatopenai_style_constructor_and_aliases(fake: Any) -> None:
    llm = ChatNebius(
        model="m1",
        temperature=0.2,
        max_completion_tokens=64,
        stop_sequences=["END"],
        timeout=30,
        max_retries=1,
        nebius_api_key="legacy-key",
        nebius_api_base="https://legacy.example/v1",
        top_k=5,
        seed=7,
        reasoning_effort="low",
    )
    assert llm.model_name == llm.model == "m1"
    assert llm.max_tokens == 64
    assert llm.stop == ["END"]
    assert llm.base_url == "https://legacy.example/v1"
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == "legacy-key"
    assert ChatNebius(model_name="m2", api_key="k").model_name == "m2"


def test_unknown_arguments_move_to_model_kwargs_with_a_warning(fake: Any) -> None:
    fake.queue(fake.chat_reply())
    with pytest.warns(UserWarning, match="guided_choice is not a parameter"):
        llm = make_chat(fake, guided_choice=["yes", "no"])
    assert llm.model_kwargs == {"guided_choice": ["yes", "no"]}
    llm.invoke("hi")
    assert fake.body()["guided_choice"] == ["yes", "no"]


def test_missing_key_is_an_actionable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-must-not-be-used")
    with pytest.raises(ValueError, match="NEBIUS_API_KEY"):
        ChatNebius()
    monkeypatch.setenv("NEBIUS_API_KEY", "from-env")
    llm = ChatNebius()
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == "from-env"
    assert llm.model_name == "Qwen/Qwen3-235B-A22B-Instruct-2507"


def test_streaming_with_n_above_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="n must be 1 when streaming"):
        ChatNebius(api_key="k", n=2, streaming=True)


# --- request body --------------------------------------------------------------------------


def test_request_body_has_constructor_params_extra_body_and_no_stream(fake: Any) -> None:
    llm = make_chat(
        fake,
        temperature=0,
        max_tokens=50,
        top_p=0.9,
        top_k=20,
        stop=[],
        seed=1,
        logprobs=True,
        top_logprobs=2,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        reasoning_effort="low",
        extra_body={"chat_template_kwargs": {"enable_thinking": False}},
        model_kwargs={"guided_decoding_backend": "xgrammar"},
    )
    llm.invoke("Hello")
    body = fake.body()
    assert body["model"] == "Qwen/Qwen3-235B-A22B-Instruct-2507"
    assert body["messages"] == [{"role": "user", "content": "Hello"}]
    assert body["temperature"] == 0
    assert body["max_tokens"] == 50
    assert body["top_k"] == 20
    assert body["top_logprobs"] == 2
    assert body["reasoning_effort"] == "low"
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["guided_decoding_backend"] == "xgrammar"
    assert "stop" not in body  # an empty stop list is not sent
    assert "stream" not in body
    assert fake.requests[-1].headers["authorization"] == f"Bearer {fake.API_KEY}"


def test_build_request_body_is_pure_and_reusable(fake: Any) -> None:
    llm = make_chat(fake, temperature=0.5, extra_body={"guided_regex": "a+"})
    bound_tools = llm.bind_tools([Joke], tool_choice="Joke")
    kwargs = bound_tools.kwargs  # type: ignore[attr-defined]
    body = llm._build_request_body([HumanMessage("x")], stop=["\n"], **kwargs, timeout=5)
    assert body["tools"][0]["function"]["name"] == "Joke"
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Joke"}}
    assert body["stop"] == ["\n"]
    assert body["guided_regex"] == "a+"
    assert "timeout" not in body
    assert fake.requests == []


def test_per_call_model_override_and_options(fake: Any) -> None:
    llm = make_chat(fake)
    llm.invoke("hi", model="Qwen/Qwen3-235B-A22B-Instruct-2507", extra_headers={"X-Trace": "1"})
    assert fake.body()["model"] == "Qwen/Qwen3-235B-A22B-Instruct-2507"
    assert fake.requests[-1].headers["x-trace"] == "1"


def test_tool_histories_are_sent_in_openai_form(fake: Any) -> None:
    llm = make_chat(fake)
    llm.invoke(
        [
            HumanMessage("What is magic(3)?"),
            AIMessage("", tool_calls=[{"name": "magic", "args": {"input": 3}, "id": "call_7"}]),
            ToolMessage("5", tool_call_id="call_7"),
        ]
    )
    messages = fake.body()["messages"]
    assert messages[1]["tool_calls"][0]["function"] == {
        "name": "magic",
        "arguments": '{"input": 3}',
    }
    assert messages[2] == {"role": "tool", "content": "5", "tool_call_id": "call_7"}


def test_vision_content_blocks_become_data_urls(fake: Any) -> None:
    llm = make_chat(fake)
    llm.invoke(
        [
            HumanMessage(
                [
                    {"type": "text", "text": "Describe"},
                    {"type": "image", "base64": "AAAA", "mime_type": "image/png"},
                ]
            )
        ]
    )
    content = fake.body()["messages"][0]["content"]
    assert content[1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


# --- replies -----------------------------------------------------------------------------------


def test_invoke_usage_and_response_metadata(fake: Any) -> None:
    fake.queue(
        httpx.Response(
            200,
            json=fake.chat_reply("Hi there"),
            headers={"x-ratelimit-remaining-requests": "59", "x-request-id": "req-1"},
        )
    )
    llm = make_chat(fake, include_response_headers=True)
    reply = llm.invoke("hi")
    assert reply.content == "Hi there"
    assert reply.usage_metadata == {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10}
    meta = reply.response_metadata
    assert meta["model_name"] == "served-model"
    assert meta["model_provider"] == "nebius"
    assert meta["finish_reason"] == "stop"
    assert meta["id"] == "chatcmpl-abc"
    assert meta["system_fingerprint"] == "fp-1"
    assert meta["headers"]["x-ratelimit-remaining-requests"] == "59"


def test_reasoning_content_in_invoke_and_stream(fake: Any) -> None:
    fake.queue(fake.chat_reply("4", reasoning_content="2 plus 2"))
    llm = make_chat(fake)
    reply = llm.invoke("2+2?")
    assert reply.additional_kwargs["reasoning_content"] == "2 plus 2"
    assert reply.content_blocks[0] == {"type": "reasoning", "reasoning": "2 plus 2"}

    fake.queue(
        fake.stream_response(
            fake.chunk(delta={"reasoning": "2 plus "}),
            fake.chunk(delta={"reasoning": "2"}),
            fake.chunk(delta={"content": "4"}, finish_reason="stop"),
            fake.usage_chunk(),
        )
    )
    merged = None
    for chunk in llm.stream("2+2?"):
        merged = chunk if merged is None else merged + chunk
    assert isinstance(merged, AIMessageChunk)
    assert merged.additional_kwargs["reasoning_content"] == "2 plus 2"
    assert merged.content_blocks[0] == {"type": "reasoning", "reasoning": "2 plus 2"}


def test_v1_output_puts_reasoning_blocks_in_content(fake: Any) -> None:
    fake.queue(fake.chat_reply("4", reasoning_content="2 plus 2"))
    reply = make_chat(fake, output_version="v1").invoke("2+2?")
    assert isinstance(reply.content, list)
    assert [b["type"] for b in reply.content if isinstance(b, dict)] == ["reasoning", "text"]


def test_stream_usage_is_on_by_default(fake: Any) -> None:
    """Research bug: no streaming usage unless stream_usage=True."""
    fake.queue(
        fake.stream_response(
            fake.chunk(delta={"role": "assistant", "content": ""}),
            fake.chunk(delta={"content": "Hel"}),
            fake.chunk(delta={"content": "lo"}, finish_reason="stop"),
            fake.usage_chunk(7, 2),
        )
    )
    llm = make_chat(fake)
    merged = None
    for chunk in llm.stream("hi"):
        merged = chunk if merged is None else merged + chunk
    assert fake.body()["stream_options"] == {"include_usage": True}
    assert fake.body()["stream"] is True
    assert isinstance(merged, AIMessageChunk)
    assert merged.content == "Hello"
    assert merged.usage_metadata == {"input_tokens": 7, "output_tokens": 2, "total_tokens": 9}
    assert merged.response_metadata["model_name"] == "served-model"
    assert merged.response_metadata["finish_reason"] == "stop"

    fake.queue(fake.stream_response(fake.chunk(delta={"content": "x"}, finish_reason="stop")))
    list(make_chat(fake, stream_usage=False).stream("hi"))
    assert fake.body()["stream_options"] == {"include_usage": False}


def test_streaming_field_makes_invoke_stream(fake: Any) -> None:
    fake.queue(
        fake.stream_response(
            fake.chunk(delta={"content": "Yo"}, finish_reason="stop"), fake.usage_chunk()
        )
    )
    reply = make_chat(fake, streaming=True).invoke("hi")
    assert reply.content == "Yo"
    assert fake.body()["stream"] is True
    assert reply.usage_metadata is not None


class _TokenCounter(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def test_stream_tokens_reach_callbacks_once(fake: Any) -> None:
    fake.queue(
        fake.stream_response(
            fake.chunk(delta={"content": "a"}),
            fake.chunk(delta={"content": "b"}, finish_reason="stop"),
        )
    )
    counter = _TokenCounter()
    chunks = list(make_chat(fake).stream("hi", config={"callbacks": [counter]}))
    assert "".join(counter.tokens) == "ab"
    assert len(counter.tokens) == len(chunks)


async def test_async_invoke_stream_and_batch(fake: Any) -> None:
    llm = make_chat(fake)
    fake.queue(fake.chat_reply("async hi"))
    assert (await llm.ainvoke("hi")).content == "async hi"
    fake.queue(
        fake.stream_response(
            fake.chunk(delta={"content": "A"}),
            fake.chunk(delta={"content": "B"}, finish_reason="stop"),
            fake.usage_chunk(),
        )
    )
    parts = [chunk async for chunk in llm.astream("hi")]
    assert "".join(str(p.content) for p in parts) == "AB"
    assert sum(p.usage_metadata["input_tokens"] for p in parts if p.usage_metadata) == 7
    fake.default = httpx.Response(200, json=fake.chat_reply("same"))
    replies = await llm.abatch(["a", "b", "c"])
    assert [r.content for r in replies] == ["same"] * 3


def test_batch(fake: Any) -> None:
    fake.default = httpx.Response(200, json=fake.chat_reply("ok"))
    replies = make_chat(fake).batch(["a", "b"])
    assert [r.content for r in replies] == ["ok", "ok"]
    assert sorted(b["messages"][0]["content"] for b in fake.bodies) == ["a", "b"]


def test_rate_limiter_is_accepted_and_used(fake: Any) -> None:
    limiter = InMemoryRateLimiter(requests_per_second=1000, check_every_n_seconds=0.001)
    assert make_chat(fake, rate_limiter=limiter).invoke("hi").content == "Hello!"


# --- tools -------------------------------------------------------------------------------------


def test_bind_tools_forms_and_tool_choice(fake: Any) -> None:
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    fake.queue(
        fake.chat_reply(
            None,
            tool_calls=[
                {
                    "id": "chatcmpl-tool-1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
                },
                {
                    "id": "chatcmpl-tool-2",
                    "type": "function",
                    "function": {"name": "Joke", "arguments": "{broken"},
                },
            ],
        )
    )
    llm = make_chat(fake).bind_tools([add, Joke], tool_choice="any", parallel_tool_calls=True)
    reply = llm.invoke("add 1 and 2")
    body = fake.body()
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "Joke"]
    assert body["tool_choice"] == "required"
    assert body["parallel_tool_calls"] is True
    assert isinstance(reply, AIMessage)
    assert reply.tool_calls == [
        {"name": "add", "args": {"a": 1, "b": 2}, "id": "chatcmpl-tool-1", "type": "tool_call"}
    ]
    assert reply.invalid_tool_calls[0]["args"] == "{broken"


# --- structured output ---------------------------------------------------------------------


def test_guided_json_is_the_default_structured_method(fake: Any) -> None:
    fake.queue(fake.chat_reply(JOKE))
    result = make_chat(fake).with_structured_output(Joke).invoke("joke")
    assert result == Joke(setup="Why?", punchline="Because.")
    body = fake.body()
    # Both fields: older vLLM reads guided_json; vLLM >= 0.12, SGLang and llama.cpp read only
    # response_format.
    assert body["guided_json"]["properties"].keys() == {"setup", "punchline"}
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Joke", "schema": body["guided_json"], "strict": True},
    }
    assert "ls_structured_output_format" not in body


def test_guided_json_passes_strict_false_and_a_safe_schema_name(fake: Any) -> None:
    fake.queue(fake.chat_reply(JOKE))
    schema = {**Joke.model_json_schema(), "title": "A joke, told twice!"}
    make_chat(fake).with_structured_output(schema, strict=False).invoke("joke")
    spec = fake.body()["response_format"]["json_schema"]
    assert (spec["name"], spec["strict"]) == ("A_joke_told_twice", False)
    assert fake.body()["guided_json"] == schema


@pytest.mark.parametrize("schema", [JokeDict, Joke.model_json_schema()])
def test_structured_output_with_dict_schemas(fake: Any, schema: Any) -> None:
    fake.queue(fake.chat_reply(JOKE))
    result = make_chat(fake).with_structured_output(schema).invoke("joke")
    assert result == {"setup": "Why?", "punchline": "Because."}


def test_response_format_paths_work(fake: Any) -> None:
    """Research bug: every response_format path crashed (missing root client)."""
    llm = make_chat(fake)
    fake.queue(fake.chat_reply(JOKE), fake.chat_reply(JOKE), fake.chat_reply(JOKE))
    assert llm.with_structured_output(Joke, method="json_schema", strict=True).invoke("j")
    sent = fake.body()["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["name"] == "Joke"
    assert sent["json_schema"]["strict"] is True
    assert llm.with_structured_output(Joke, method="json_mode").invoke("j")
    assert fake.body()["response_format"] == {"type": "json_object"}
    assert "guided_json" not in fake.body()
    assert llm.bind(response_format={"type": "json_object"}).invoke("j").content == JOKE


def test_function_calling_structured_output(fake: Any) -> None:
    fake.queue(
        fake.chat_reply(
            None,
            tool_calls=[
                {"id": "c1", "type": "function", "function": {"name": "Joke", "arguments": JOKE}}
            ],
        )
    )
    result = make_chat(fake).with_structured_output(Joke, method="function_calling").invoke("j")
    assert result == Joke(setup="Why?", punchline="Because.")
    assert fake.body()["tool_choice"] == {"type": "function", "function": {"name": "Joke"}}
    assert "parallel_tool_calls" not in fake.body()


@pytest.mark.parametrize("schema", [Joke, JokeDict])
def test_function_calling_without_a_tool_call_is_a_parsing_error(fake: Any, schema: Any) -> None:
    """A model that answers in text instead of calling the tool: an error that keeps the
    reply, not ``None``."""
    fake.queue(fake.chat_reply("Why? Because."))
    chat = make_chat(fake)
    with pytest.raises(
        OutputParserException, match=f"no tool call to '{schema.__name__}'"
    ) as caught:
        chat.with_structured_output(schema, method="function_calling").invoke("j")
    assert caught.value.llm_output == "Why? Because."
    fake.queue(fake.chat_reply("Why? Because."))
    structured = chat.with_structured_output(schema, method="function_calling", include_raw=True)
    out = structured.invoke("j")
    assert out["parsed"] is None and out["raw"].content == "Why? Because."
    assert "no tool call" in str(out["parsing_error"])
    fake.queue(_json_stream(fake, "Why? Because."))
    with pytest.raises(OutputParserException, match="no tool call"):
        list(chat.with_structured_output(schema, method="function_calling").stream("j"))


@pytest.mark.parametrize("schema", [Joke, JokeDict])
def test_function_calling_arguments_that_break_the_schema_are_a_parsing_error(
    fake: Any, schema: Any
) -> None:
    """langchain-core raises a bare pydantic ``ValidationError`` here; ours names the schema."""
    name = schema.__name__
    call = {"id": "c1", "type": "function", "function": {"name": name, "arguments": '{"a": 1}'}}
    fake.queue(fake.chat_reply(None, tool_calls=[call]))
    with pytest.raises(OutputParserException, match="tool call does not match") as caught:
        make_chat(fake).with_structured_output(schema, method="function_calling").invoke("j")
    assert json.loads(caught.value.llm_output or "") == {"a": 1}
    broken = {**call, "function": {"name": name, "arguments": "{broken"}}
    fake.queue(fake.chat_reply(None, tool_calls=[broken]))
    with pytest.raises(OutputParserException) as caught:
        make_chat(fake).with_structured_output(schema, method="function_calling").invoke("j")
    assert "{broken" in str(caught.value)


def test_a_reply_that_breaks_the_schema_is_a_clear_parsing_error(fake: Any) -> None:
    bad = '{"setup": "Why?"}'
    fake.queue(fake.chat_reply(bad))
    with pytest.raises(OutputParserException) as caught:
        make_chat(fake).with_structured_output(Joke).invoke("joke")
    assert caught.value.llm_output == bad
    fake.queue(fake.chat_reply(bad))
    with pytest.raises(OutputParserException, match="missing required key 'punchline'"):
        make_chat(fake).with_structured_output(JokeDict).invoke("joke")
    fake.queue(fake.chat_reply("Sure! Here is a joke: ..."))
    with pytest.raises(OutputParserException, match="not JSON") as caught:
        make_chat(fake).with_structured_output(JokeDict).invoke("joke")
    assert caught.value.llm_output == "Sure! Here is a joke: ..."


def test_include_raw_keeps_the_parsing_error(fake: Any) -> None:
    fake.queue(fake.chat_reply('{"setup": 1}'))
    out = make_chat(fake).with_structured_output(Joke, include_raw=True).invoke("joke")
    assert out["parsed"] is None
    assert isinstance(out["parsing_error"], OutputParserException)
    assert out["raw"].content == '{"setup": 1}'
    fake.queue(fake.chat_reply(JOKE))
    out = make_chat(fake).with_structured_output(Joke, include_raw=True).invoke("joke")
    assert out["parsed"] == Joke(setup="Why?", punchline="Because.")
    assert out["parsing_error"] is None


def _json_stream(fake: Any, text: str) -> Any:
    pieces = [text[i : i + 7] for i in range(0, len(text), 7)]
    events = [fake.chunk(delta={"content": p}) for p in pieces]
    events.append(fake.chunk(delta={}, finish_reason="stop"))
    return fake.stream_response(*events, fake.usage_chunk())


def test_streaming_structured_output(fake: Any) -> None:
    fake.queue(_json_stream(fake, JOKE))
    dicts = list(make_chat(fake).with_structured_output(JokeDict).stream("joke"))
    assert len(dicts) > 1  # partial dicts as the JSON grows
    assert dicts[-1] == {"setup": "Why?", "punchline": "Because."}
    fake.queue(_json_stream(fake, JOKE))
    objects = list(make_chat(fake).with_structured_output(Joke).stream("joke"))
    assert objects[-1] == Joke(setup="Why?", punchline="Because.")
    assert all(isinstance(o, Joke) for o in objects)
    fake.queue(_json_stream(fake, '{"setup": "only"}'))
    with pytest.raises(OutputParserException):
        list(make_chat(fake).with_structured_output(Joke).stream("joke"))


def test_reasoning_written_before_the_json_is_skipped(fake: Any) -> None:
    """Some models think in the reply itself; the braces in their thoughts are not the answer."""
    reply = '<think>The user wants {"setup": ...}; keep it short.</think>\n' + JOKE
    fake.queue(fake.chat_reply(reply))
    assert make_chat(fake).with_structured_output(Joke).invoke("joke") == Joke(
        setup="Why?", punchline="Because."
    )
    fake.queue(_json_stream(fake, reply))
    streamed = list(make_chat(fake).with_structured_output(JokeDict).stream("joke"))
    assert streamed[-1] == {"setup": "Why?", "punchline": "Because."}
    # Nothing was parsed out of the thoughts while they streamed.
    assert all("Why?".startswith(part.get("setup", "")) for part in streamed)


@pytest.mark.parametrize("no_stream", [{"streaming": False}, {"disable_streaming": True}])
@pytest.mark.parametrize("schema", [Joke, JokeDict])
def test_structured_stream_of_a_model_that_does_not_stream_yields_the_object(
    fake: Any, no_stream: dict[str, Any], schema: Any
) -> None:
    """stream() then gets one whole AIMessage; langchain-core's tools parsers yield nothing for
    it, ours yield the parsed object (every method)."""
    call = {
        "id": "chatcmpl-tool-1",
        "type": "function",
        "function": {"name": schema.__name__, "arguments": JOKE},
    }
    expected = Joke(setup="Why?", punchline="Because.")
    expected_value = expected if schema is Joke else expected.model_dump()
    replies = {
        "function_calling": fake.chat_reply(None, tool_calls=[call]),
        "guided_json": fake.chat_reply(JOKE),
    }
    for method, reply in replies.items():
        fake.queue(reply)
        structured = make_chat(fake, **no_stream).with_structured_output(schema, method=method)
        assert list(structured.stream("joke")) == [expected_value]


async def test_async_streaming_structured_output(fake: Any) -> None:
    fake.queue(_json_stream(fake, JOKE))
    parts = [p async for p in make_chat(fake).with_structured_output(JokeDict).astream("joke")]
    assert parts[-1] == {"setup": "Why?", "punchline": "Because."}


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "families"),
    [
        (401, {"detail": "bad key"}, (ni.AuthenticationError, ModelAuthenticationError)),
        (404, {"detail": "no such model"}, (ni.NotFoundError, ModelNotFoundError)),
        (429, {"detail": "slow down"}, (ni.RateLimitError, ModelRateLimitError)),
        (
            400,
            {"detail": "This model's maximum context length is 8192 tokens"},
            (ni.ContextLengthExceededError, ContextOverflowError),
        ),
        (422, {"detail": [{"loc": ["body", "x"], "msg": "bad"}]}, (ModelInvalidRequestError,)),
        (500, {"detail": "boom"}, (ni.InternalServerError, ModelAPIError)),
    ],
)
def test_errors_are_both_nebius_and_langchain_errors(
    fake: Any, status: int, body: dict[str, Any], families: tuple[type, ...]
) -> None:
    fake.default = httpx.Response(status, json=body)
    with pytest.raises(ni.APIStatusError) as caught:
        make_chat(fake).invoke("hi")
    for family in families:
        assert isinstance(caught.value, family)
    assert caught.value.status_code == status
    assert isinstance(caught.value.__cause__, ni.APIStatusError)
    assert fake.API_KEY not in str(caught.value)


async def test_async_and_stream_errors_are_translated(fake: Any) -> None:
    fake.default = httpx.Response(429, json={"detail": "slow down"})
    with pytest.raises(NebiusRateLimitError):
        await make_chat(fake).ainvoke("hi")
    with pytest.raises(ModelRateLimitError):
        list(make_chat(fake).stream("hi"))
    fake.default = None
    fake.queue(fake.stream_response(fake.chunk(delta={"content": "par"}), done=False))
    with pytest.raises(NebiusIncompleteStreamError) as caught:
        list(make_chat(fake).stream("hi"))
    assert isinstance(caught.value, ModelConnectionError)
    fake.queue(fake.stream_response(fake.chunk(delta={"content": "par"}), done=False))
    with pytest.raises(ModelConnectionError):
        [c async for c in make_chat(fake).astream("hi")]


def test_invalid_request_is_caught_before_sending(fake: Any) -> None:
    with pytest.raises(ModelInvalidRequestError, match="temperature"):
        make_chat(fake, temperature=5).invoke("hi")
    assert fake.requests == []


# --- secrets, serialization, tracing --------------------------------------------------------


def test_key_never_leaks(fake: Any) -> None:
    """Research bug: the key must not show in repr/str/dumps/errors/tracebacks."""
    llm = make_chat(fake)
    secret = fake.API_KEY
    assert secret not in repr(llm)
    assert secret not in str(llm)
    assert secret not in dumps(llm)
    assert secret not in json.dumps(dumpd(llm))
    assert secret not in llm.model_dump_json()
    assert secret not in str(llm.model_dump())
    assert secret not in str(llm._get_invocation_params())
    assert secret not in str(llm._identifying_params)
    fake.default = httpx.Response(401, json={"detail": "invalid key"})
    with pytest.raises(NebiusAuthenticationError) as caught:
        llm.invoke("hi")
    assert secret not in "".join(traceback.format_exception(caught.value))
    assert secret not in repr(caught.value)


@pytest.mark.parametrize("bad", [{"n": 0}, {"temperature": "hot"}, {"n": 2, "streaming": True}])
def test_constructor_errors_do_not_echo_the_key(bad: dict[str, Any]) -> None:
    secret = "-".join(["constructor", "secret"])  # the source lines in the traceback omit it
    with pytest.raises(ValueError) as caught:
        ChatNebius(api_key=secret, **bad)
    assert secret not in str(caught.value)
    assert secret not in "".join(traceback.format_exception(caught.value))


def test_serialization_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = ChatNebius(model="m", api_key="serialized-secret", temperature=0.3, max_tokens=9)
    data = dumpd(llm)
    assert data["id"] == ["langchain_nebius", "chat_models", "ChatNebius"]
    assert data["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["NEBIUS_API_KEY"]}
    monkeypatch.setenv("NEBIUS_API_KEY", "restored")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # load() warns that it is a beta feature
        restored = load(
            data,
            secrets_from_env=True,
            valid_namespaces=["langchain_nebius"],
            allowed_objects=[ChatNebius],
        )
    assert isinstance(restored, ChatNebius)
    assert restored.model_name == "m"
    assert restored.max_tokens == 9
    assert restored.api_key is not None
    assert restored.api_key.get_secret_value() == "restored"


def test_langsmith_params(fake: Any) -> None:
    llm = make_chat(fake, temperature=0.1, max_tokens=5, stop=["x"])
    params = llm._get_ls_params()
    assert params == {
        "ls_provider": "nebius",
        "ls_model_name": "Qwen/Qwen3-235B-A22B-Instruct-2507",
        "ls_model_type": "chat",
        "ls_temperature": 0.1,
        "ls_max_tokens": 5,
        "ls_stop": ["x"],
    }
    assert llm._get_ls_params(model="other")["ls_model_name"] == "other"


def test_profile_for_known_models() -> None:
    profile = ChatNebius(model="Qwen/Qwen3-235B-A22B-Thinking-2507", api_key="k").profile
    assert profile is not None
    assert profile["reasoning_output"] is True
    assert profile["tool_calling"] is True
    assert profile["max_input_tokens"] == 262144
    unknown = ChatNebius(model="someone/unknown-model", api_key="k").profile
    assert unknown == {"text_inputs": True, "text_outputs": True, "max_input_tokens": 3900}


def test_client_is_built_once_and_copies_share_it() -> None:
    llm = ChatNebius(api_key="k")
    assert llm._get_client() is llm._get_client()
    assert llm._get_async_client() is llm._get_async_client()
    assert llm.model_copy()._get_client() is llm._get_client()
    assert copy.deepcopy(llm)._get_client() is llm._get_client()
    assert pickle.loads(pickle.dumps(llm)).model_name == llm.model_name
    llm._get_client().close()
