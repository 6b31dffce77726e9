"""NebiusLLM chat/complete and streams, sync and async, over a fake API."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest
from fakes import API_KEY, FakeAPI, chat_reply, chunk, models_reply, stream_response, usage_chunk
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
)

from llama_index_nebius import NebiusLLM

MakeLLM = Callable[..., NebiusLLM]
HELLO = [ChatMessage(role="system", content="Be nice."), ChatMessage(role="user", content="Hi")]


def test_chat_sends_the_body_and_reads_the_reply(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply("Hello there", usage=(7, 3)))
    llm = make_llm(model="Qwen/Qwen3-235B-A22B-Instruct-2507", temperature=0.2, max_tokens=50)
    response = llm.chat(HELLO)

    request = fake.requests[0]
    assert str(request.url) == f"{fake.base_url}/chat/completions"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert fake.body() == {
        "model": "Qwen/Qwen3-235B-A22B-Instruct-2507",
        "temperature": 0.2,
        "max_tokens": 50,
        "messages": [
            {"role": "system", "content": "Be nice."},
            {"role": "user", "content": "Hi"},
        ],
    }
    assert response.message.content == "Hello there"
    assert response.message.role == "assistant"
    assert response.additional_kwargs == {
        "prompt_tokens": 7,
        "completion_tokens": 3,
        "total_tokens": 10,
    }
    assert response.raw.usage.total_tokens == 10


async def test_achat_matches_chat(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply("sync"), chat_reply("async"))
    llm = make_llm()
    sync = llm.chat(HELLO)
    async_ = await llm.achat(HELLO)
    assert fake.bodies[0] == fake.bodies[1]
    assert (sync.message.content, async_.message.content) == ("sync", "async")
    assert async_.additional_kwargs["total_tokens"] == 10


def test_complete_wraps_the_prompt_in_a_user_message(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply("42"))
    response = make_llm().complete("What is 6*7?")
    assert fake.body()["messages"] == [{"role": "user", "content": "What is 6*7?"}]
    assert response.text == "42"
    assert response.additional_kwargs["completion_tokens"] == 3


async def test_acomplete(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply("ok"))
    assert (await make_llm().acomplete("x")).text == "ok"


STREAM = [
    chunk(role="assistant", content=""),
    chunk(content="Hel"),
    chunk(content="lo!", finish_reason="stop"),
    usage_chunk(5, 2),
]


def test_stream_chat_yields_deltas_and_usage_last(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(stream_response(*STREAM))
    responses = list(make_llm().stream_chat(HELLO))
    assert fake.body()["stream"] is True
    assert fake.body()["stream_options"] == {"include_usage": True}
    assert "".join(r.delta or "" for r in responses) == "Hello!"
    assert responses[-1].message.content == "Hello!"
    assert responses[-1].additional_kwargs == {
        "prompt_tokens": 5,
        "completion_tokens": 2,
        "total_tokens": 7,
    }
    assert responses[-1].raw.usage.total_tokens == 7


async def test_astream_chat(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(stream_response(*STREAM))
    gen = await make_llm().astream_chat(HELLO)
    responses = [r async for r in gen]
    assert responses[-1].message.content == "Hello!"
    assert responses[-1].additional_kwargs["total_tokens"] == 7


def test_stream_complete(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(stream_response(*STREAM))
    responses = list(make_llm().stream_complete("hi"))
    assert [r.delta for r in responses][1:3] == ["Hel", "lo!"]
    assert responses[-1].text == "Hello!"
    assert responses[-1].additional_kwargs["total_tokens"] == 7


async def test_astream_complete(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(stream_response(*STREAM))
    responses = [r async for r in await make_llm().astream_complete("hi")]
    assert responses[-1].text == "Hello!"
    assert responses[-1].additional_kwargs["prompt_tokens"] == 5


def test_usage_can_be_switched_off_for_streams(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(stream_response(*STREAM[:-1]))
    responses = list(make_llm().stream_chat(HELLO, stream_options={"include_usage": False}))
    assert fake.body()["stream_options"] == {"include_usage": False}
    assert responses[-1].additional_kwargs == {}


def test_stream_options_are_not_sent_without_a_stream(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply())
    make_llm(additional_kwargs={"stream_options": {"include_usage": True}}).chat(HELLO)
    assert "stream_options" not in fake.body() and "stream" not in fake.body()


def test_a_stream_cut_before_done_raises(fake: FakeAPI, make_llm: MakeLLM) -> None:
    from nebius_inference import IncompleteStreamError

    fake.queue(stream_response(*STREAM[:2], done=False))
    with pytest.raises(IncompleteStreamError):
        list(make_llm().stream_chat(HELLO))


def test_early_exit_from_a_stream_closes_it(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(stream_response(*STREAM), chat_reply("next"))
    llm = make_llm()
    gen = llm.stream_chat(HELLO)
    next(gen)
    gen.close()
    assert llm.chat(HELLO).message.content == "next"


# -- kwargs ------------------------------------------------------------------------------------


def test_per_call_kwargs_win_over_constructor_defaults(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply())
    llm = make_llm(
        temperature=0.1,
        max_tokens=10,
        additional_kwargs={"top_p": 0.5, "extra_body": {"top_k": 3, "seed": 1}},
    )
    llm.chat(HELLO, temperature=0.9, top_p=0.8, extra_body={"top_k": 40})
    body = fake.body()
    assert (body["temperature"], body["top_p"], body["top_k"]) == (0.9, 0.8, 40)
    assert (body["max_tokens"], body["seed"]) == (10, 1)
    assert "extra_body" not in body


def test_additional_kwargs_win_over_fields_and_unknown_fields_pass(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    fake.queue(chat_reply())
    llm = make_llm(
        temperature=0.1,
        additional_kwargs={"temperature": 0.3, "guided_regex": "[a-z]+"},
    )
    llm.chat(HELLO, chat_template_kwargs={"enable_thinking": False})
    assert fake.body()["temperature"] == 0.3
    assert fake.body()["guided_regex"] == "[a-z]+"
    assert fake.body()["chat_template_kwargs"] == {"enable_thinking": False}


def test_none_per_call_unsets_a_default(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply())
    make_llm(max_tokens=10).chat(HELLO, max_tokens=None)
    assert "max_tokens" not in fake.body()


def test_reasoning_effort_is_sent_when_set(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply(), chat_reply())
    llm = make_llm(model="openai/gpt-oss-120b", reasoning_effort="low")
    llm.chat(HELLO)
    assert fake.body()["reasoning_effort"] == "low"
    make_llm().chat(HELLO)
    assert "reasoning_effort" not in fake.body()


def test_per_call_headers_and_query_are_options_not_body(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply())
    make_llm().chat(HELLO, extra_headers={"x-trace": "t1"}, extra_query={"ai_project_id": "p"})
    assert fake.requests[0].headers["x-trace"] == "t1"
    assert fake.requests[0].url.params["ai_project_id"] == "p"
    assert "extra_headers" not in fake.body() and "extra_query" not in fake.body()


def test_build_chat_body_is_reusable_without_sending(fake: FakeAPI, make_llm: MakeLLM) -> None:
    llm = make_llm(temperature=0.5)
    body = llm._build_chat_body(HELLO, top_k=4, timeout=3)
    assert body == {
        "model": llm.model,
        "temperature": 0.5,
        "top_k": 4,
        "messages": [
            {"role": "system", "content": "Be nice."},
            {"role": "user", "content": "Hi"},
        ],
    }
    assert fake.requests == []


# -- images and reasoning ----------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 16


def test_image_blocks_are_sent_as_image_url_parts(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply("a cat"))
    llm = make_llm(model="google/gemma-3-27b-it")
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="Describe both"),
            ImageBlock(image=PNG),
            ImageBlock(url="https://img.test/dog.jpg"),
        ],
    )
    llm.chat([message])
    parts = fake.body()["messages"][0]["content"]
    assert parts[0] == {"type": "text", "text": "Describe both"}
    assert parts[1]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode(
        "ascii"
    )
    assert parts[2] == {"type": "image_url", "image_url": {"url": "https://img.test/dog.jpg"}}


def test_reasoning_becomes_a_thinking_block(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply("4", reasoning="2+2 is 4"))
    response = make_llm(model="Qwen/Qwen3-235B-A22B-Thinking-2507").chat(HELLO)
    thinking, text = response.message.blocks
    assert isinstance(thinking, ThinkingBlock) and thinking.content == "2+2 is 4"
    assert isinstance(text, TextBlock) and text.text == "4"
    assert response.message.content == "4"


def test_streamed_reasoning_becomes_thinking_blocks_and_deltas(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    fake.queue(
        stream_response(
            *[
                chunk(role="assistant", reasoning="Let me "),
                chunk(reasoning="count."),
                chunk(content="4", finish_reason="stop"),
                usage_chunk(5, 4),
            ]
        )
    )
    responses = list(make_llm().stream_chat(HELLO))
    assert [r.additional_kwargs.get("thinking_delta") for r in responses[:2]] == [
        "Let me ",
        "count.",
    ]
    thinking = responses[-1].message.blocks[0]
    assert isinstance(thinking, ThinkingBlock) and thinking.content == "Let me count."
    assert responses[-1].message.content == "4"


def test_errors_from_the_api_surface_as_core_errors(fake: FakeAPI, make_llm: MakeLLM) -> None:
    from nebius_inference import NotFoundError

    fake.queue(httpx.Response(404, json={"detail": "Model 'nope' not found"}))
    fake.on("/models", models_reply("Qwen/Qwen3-235B-A22B-Instruct-2507"))  # the 404's hint
    with pytest.raises(NotFoundError, match="nope") as info:
        make_llm(model="nope").chat(HELLO)
    assert API_KEY not in str(info.value)
