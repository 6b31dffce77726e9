"""The emulator seen through an independent client: the official OpenAI SDK."""

from __future__ import annotations

import base64
import io
import json
import math
import re
import struct
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessage, ChatCompletionMessageFunctionToolCall
from PIL import Image
from pydantic import BaseModel, Field

from nebius_inference.testing import Emulator

CHAT = "Qwen/Qwen3-235B-A22B-Instruct-2507"
THINKING = "Qwen/Qwen3-235B-A22B-Thinking-2507"
GPT_OSS = "openai/gpt-oss-120b"
KIMI = "moonshotai/Kimi-K2.6"
VISION = "google/gemma-3-27b-it"
EMBED = "Qwen/Qwen3-Embedding-8B"

MAGIC: Any = {
    "type": "function",
    "function": {
        "name": "magic_function",
        "description": "Applies a magic function to an input.",
        "parameters": {
            "type": "object",
            "properties": {"input": {"type": "integer"}},
            "required": ["input"],
        },
    },
}
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}


def user(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


def function_calls(message: ChatCompletionMessage) -> list[ChatCompletionMessageFunctionToolCall]:
    calls = message.tool_calls or []
    found = [call for call in calls if isinstance(call, ChatCompletionMessageFunctionToolCall)]
    assert len(found) == len(calls)
    return found


def png_data_url(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# -- chat -------------------------------------------------------------------------------------


def test_chat_json(client: openai.OpenAI, emu: Emulator) -> None:
    reply = client.chat.completions.create(model=CHAT, messages=user("Tell me about volcanoes"))
    assert re.fullmatch(r"chatcmpl-[0-9a-f]+", reply.id)
    assert reply.object == "chat.completion"
    assert reply.model == CHAT
    choice = reply.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert "volcanoes" in (choice.message.content or "")
    assert reply.usage is not None
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    extra = reply.model_extra or {}
    assert "prompt_logprobs" in extra and "kv_transfer_params" in extra
    again = client.chat.completions.create(model=CHAT, messages=user("Tell me about volcanoes"))
    assert again.choices[0].message.content == choice.message.content
    sent = emu.requests("/v1/chat/completions")[-1]
    assert sent.json["model"] == CHAT
    assert sent.headers["authorization"] == "<redacted>"


def test_chat_stream_with_usage_matches_json(client: openai.OpenAI) -> None:
    messages = user("Explain tides briefly")
    whole = client.chat.completions.create(model=CHAT, messages=messages)
    chunks = list(
        client.chat.completions.create(
            model=CHAT, messages=messages, stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and all(f is None for f in finishes[:-1])
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and whole.usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert chunks[-1].usage.prompt_tokens == whole.usage.prompt_tokens
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)


def test_chat_stream_without_usage(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model=CHAT, messages=user("Hi"), stream=True))
    assert all(chunk.usage is None and chunk.choices for chunk in chunks)


def test_n_choices_differ(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=CHAT, messages=user("Describe a forest"), n=3)
    assert [choice.index for choice in reply.choices] == [0, 1, 2]
    assert len({choice.message.content for choice in reply.choices}) > 1
    per_choice = client.chat.completions.create(model=CHAT, messages=user("Describe a forest"))
    assert reply.usage is not None and per_choice.usage is not None
    assert reply.usage.prompt_tokens == per_choice.usage.prompt_tokens


def test_n_choices_stream(client: openai.OpenAI) -> None:
    texts = {0: "", 1: ""}
    for chunk in client.chat.completions.create(
        model=CHAT, messages=user("Describe a forest"), n=2, stream=True
    ):
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
    whole = client.chat.completions.create(model=CHAT, messages=user("Describe a forest"), n=2)
    assert [texts[0], texts[1]] == [c.message.content for c in whole.choices]


def test_max_tokens_cuts_with_length(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT, messages=user("Describe clouds"), max_tokens=5
    )
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 5
    full = client.chat.completions.create(model=CHAT, messages=user("Describe clouds"))
    assert (full.choices[0].message.content or "").startswith(
        reply.choices[0].message.content or ""
    )


def test_stop_string(client: openai.OpenAI) -> None:
    full = client.chat.completions.create(model=CHAT, messages=user("Describe rain")).choices[0]
    text = full.message.content or ""
    stop = text.split()[4]
    cut = client.chat.completions.create(model=CHAT, messages=user("Describe rain"), stop=[stop])
    assert cut.choices[0].message.content == text[: text.index(stop)]
    assert cut.choices[0].finish_reason == "stop"
    assert (cut.choices[0].model_extra or {}).get("stop_reason") == stop


def test_logprobs(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT, messages=user("Name a colour"), logprobs=True, top_logprobs=2
    )
    choice = reply.choices[0]
    assert choice.logprobs is not None and choice.logprobs.content is not None
    tokens = [entry.token for entry in choice.logprobs.content]
    assert "".join(tokens) == choice.message.content
    for entry in choice.logprobs.content:
        assert entry.logprob <= 0
        assert len(entry.top_logprobs) == 2
        assert entry.top_logprobs[0].token == entry.token
    assert reply.usage is not None and reply.usage.completion_tokens == len(tokens)


def test_top_logprobs_needs_logprobs(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=CHAT, messages=user("x"), top_logprobs=2)


def test_reasoning_model(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=THINKING, messages=user("Why is the sky blue?"))
    message = reply.choices[0].message
    reasoning = (message.model_extra or {}).get("reasoning_content")
    assert reasoning and "sky" in reasoning
    assert message.content and "reasoning" not in (message.model_extra or {})
    chunks = list(
        client.chat.completions.create(
            model=THINKING, messages=user("Why is the sky blue?"), stream=True
        )
    )
    streamed = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for c in chunks
    )
    assert streamed == reasoning


def test_reasoning_can_be_switched_off(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=THINKING,
        messages=user("Why is the sky blue?"),
        extra_body={"chat_template_kwargs": {"enable_thinking": False}},
    )
    assert (reply.choices[0].message.model_extra or {}).get("reasoning_content") is None


def test_gpt_oss_has_both_reasoning_fields(client: openai.OpenAI) -> None:
    message = (
        client.chat.completions.create(model=GPT_OSS, messages=user("Hi there")).choices[0].message
    )
    extra = message.model_extra or {}
    assert extra["reasoning"] == extra["reasoning_content"] and extra["reasoning"]


def test_reasoning_counts_against_max_tokens(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=THINKING, messages=user("Why is the sky blue?"), max_tokens=4
    )
    assert reply.choices[0].finish_reason == "length"
    assert reply.choices[0].message.content is None


def test_sglang_flavoured_model(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=KIMI, messages=user("Hello"))
    assert reply.model_dump()["metadata"] == {"weight_version": "default"}
    assert isinstance((reply.choices[0].model_extra or {})["matched_stop"], int)
    assert reply.choices[0].message.tool_calls is None


# -- tools ------------------------------------------------------------------------------------


def test_tool_required_uses_the_prompt_value(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT,
        messages=user("What is the value of magic_function(3)?"),
        tools=[MAGIC],
        tool_choice="required",
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = function_calls(choice.message)
    assert len(calls) == 1
    assert re.fullmatch(r"chatcmpl-tool-[0-9a-f]+", calls[0].id)
    assert calls[0].function.name == "magic_function"
    assert json.loads(calls[0].function.arguments) == {"input": 3}


def test_tool_named_choice(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT,
        messages=user("Hello there"),
        tools=[MAGIC, WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    calls = function_calls(reply.choices[0].message)
    assert [call.function.name for call in calls] == ["get_weather"]
    assert isinstance(json.loads(calls[0].function.arguments)["location"], str)


def test_tool_auto_calls_when_asked(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT, messages=user("What's the weather in Paris?"), tools=[MAGIC, WEATHER]
    )
    calls = function_calls(reply.choices[0].message)
    assert [call.function.name for call in calls] == ["get_weather"]
    assert json.loads(calls[0].function.arguments)["location"] == "Paris"


def test_tool_auto_answers_in_text_otherwise(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT,
        messages=user("Tell me a joke about penguins"),
        tools=[MAGIC, WEATHER],
        tool_choice="auto",
    )
    assert reply.choices[0].finish_reason == "stop"
    assert not reply.choices[0].message.tool_calls
    assert "penguins" in (reply.choices[0].message.content or "")


def test_tool_none_answers_in_text(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT, messages=user("What is magic_function(2)?"), tools=[MAGIC], tool_choice="none"
    )
    assert not reply.choices[0].message.tool_calls
    assert reply.choices[0].message.content


def test_parallel_tool_calls(client: openai.OpenAI) -> None:
    messages = user("Compute magic_function(3) and tell me the weather in Rome")
    reply = client.chat.completions.create(model=CHAT, messages=messages, tools=[MAGIC, WEATHER])
    names = [call.function.name for call in function_calls(reply.choices[0].message)]
    assert names == ["magic_function", "get_weather"]
    ids = [call.id for call in function_calls(reply.choices[0].message)]
    assert len(set(ids)) == 2
    single = client.chat.completions.create(
        model=CHAT, messages=messages, tools=[MAGIC, WEATHER], parallel_tool_calls=False
    )
    assert len(function_calls(single.choices[0].message)) == 1


def test_streamed_tool_calls(client: openai.OpenAI) -> None:
    messages = user("Compute magic_function(3) and tell me the weather in Rome")
    chunks = list(
        client.chat.completions.create(
            model=CHAT, messages=messages, tools=[MAGIC, WEATHER], stream=True
        )
    )
    calls: dict[int, dict[str, str]] = {}
    several_in_one_chunk = False
    for chunk in chunks:
        if not chunk.choices:
            continue
        deltas = chunk.choices[0].delta.tool_calls or []
        several_in_one_chunk |= len(deltas) > 1
        for delta in deltas:
            entry = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            if delta.id:
                assert entry["id"] == ""
                entry["id"] = delta.id
                assert delta.function is not None and delta.function.arguments == ""
            if delta.function and delta.function.name:
                entry["name"] = delta.function.name
            if delta.function and delta.function.arguments:
                entry["arguments"] += delta.function.arguments
    assert several_in_one_chunk
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert [calls[i]["name"] for i in sorted(calls)] == ["magic_function", "get_weather"]
    assert json.loads(calls[0]["arguments"]) == {"input": 3}
    assert json.loads(calls[1]["arguments"])["location"] == "Rome"


def _magic_function_result(client: openai.OpenAI) -> list[Any]:
    """A conversation that ends with magic_function(3)'s result, 5, after the model's call."""
    question = "What is the value of magic_function(3)?"
    first = client.chat.completions.create(model=CHAT, messages=user(question), tools=[MAGIC])
    call = function_calls(first.choices[0].message)[0]
    return [
        *user(question),
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "5"},
    ]


def test_tool_result_is_answered_in_text(client: openai.OpenAI) -> None:
    history = _magic_function_result(client)
    reply = client.chat.completions.create(model=CHAT, messages=history, tools=[MAGIC])
    assert reply.choices[0].finish_reason == "stop"
    assert "5" in (reply.choices[0].message.content or "")
    assert "magic_function" in (reply.choices[0].message.content or "")


def test_a_tool_result_answer_keeps_the_response_format(client: openai.OpenAI) -> None:
    """Guided decoding shapes every reply it is asked for, the one after a tool result too."""
    history = _magic_function_result(client)
    schema = {
        "type": "object",
        "properties": {"value": {"type": "integer"}, "note": {"type": "string"}},
        "required": ["value", "note"],
    }
    reply = client.chat.completions.create(
        model=CHAT,
        messages=history,
        tools=[MAGIC],
        response_format={"type": "json_schema", "json_schema": {"name": "R", "schema": schema}},
    )
    answer = json.loads(reply.choices[0].message.content or "")
    assert isinstance(answer["value"], int) and isinstance(answer["note"], str)


def test_tool_history_is_validated(client: openai.OpenAI) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "magic_function", "arguments": "{}"},
    }
    missing_result: list[Any] = [
        *user("x"),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "user", "content": "and?"},
    ]
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.chat.completions.create(model=CHAT, messages=missing_result, tools=[MAGIC])
    assert "call_1" in str(excinfo.value.body)
    unknown_id: list[Any] = [*user("x"), {"role": "tool", "tool_call_id": "nope", "content": "1"}]
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=CHAT, messages=unknown_id, tools=[MAGIC])


def test_tool_message_needs_tool_call_id(client: openai.OpenAI) -> None:
    messages: list[Any] = [*user("x"), {"role": "tool", "content": "1"}]
    with pytest.raises(openai.UnprocessableEntityError) as excinfo:
        client.chat.completions.create(model=CHAT, messages=messages)
    detail = excinfo.value.body
    assert isinstance(detail, list) or "tool_call_id" in json.dumps(excinfo.value.response.json())


def test_tools_need_a_tool_model(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="google/gemma-3-27b-it", messages=user("x"), tools=[MAGIC]
        )


# -- structured output --------------------------------------------------------------------


class City(BaseModel):
    name: str
    country: str
    population: int = Field(ge=0)
    landmarks: list[str] = Field(min_length=1, max_length=3)


def test_response_format_json_schema(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT,
        messages=user("Describe the city: name is Lyon, country is France, population is 522000"),
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "city", "schema": City.model_json_schema(), "strict": True},
        },
    )
    city = City.model_validate_json(reply.choices[0].message.content or "")
    assert (city.name, city.country, city.population) == ("Lyon", "France", 522000)


def test_sdk_parse_helper(client: openai.OpenAI) -> None:
    parsed = client.chat.completions.parse(
        model=CHAT, messages=user("A city whose name is Oslo"), response_format=City
    )
    city = parsed.choices[0].message.parsed
    assert city is not None and city.name == "Oslo"


def test_guided_json_via_extra_body(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["answer", "confidence"],
    }
    reply = client.chat.completions.create(
        model=GPT_OSS,
        messages=user("Is water wet?"),
        response_format={"type": "json_object"},
        extra_body={"guided_json": schema},
    )
    value = json.loads(reply.choices[0].message.content or "")
    assert set(value) == {"answer", "confidence"} and 0 <= value["confidence"] <= 1


def test_json_object_mode(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT, messages=user("Give me JSON"), response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(reply.choices[0].message.content or ""), dict)


def test_guided_choice_and_regex(client: openai.OpenAI) -> None:
    choice = client.chat.completions.create(
        model=CHAT,
        messages=user("Is this review negative or positive: great film!"),
        extra_body={"guided_choice": ["positive", "negative"]},
    )
    assert choice.choices[0].message.content == "negative"
    pattern = r"[A-Z]{3}-\d{4}"
    regex = client.chat.completions.create(
        model=CHAT, messages=user("Make a code"), extra_body={"guided_regex": pattern}
    )
    assert re.fullmatch(pattern, regex.choices[0].message.content or "")


def test_bad_schema_is_rejected(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model=CHAT, messages=user("x"), extra_body={"guided_json": {"$ref": "#/$defs/nope"}}
        )


# -- vision -----------------------------------------------------------------------------------


def test_vision_data_url(client: openai.OpenAI) -> None:
    content: Any = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": png_data_url(32, 24)}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
    ]
    reply = client.chat.completions.create(
        model=VISION, messages=[{"role": "user", "content": content}]
    )
    text = reply.choices[0].message.content or ""
    assert "I received 2 images: PNG 32x24; image from URL https://example.com/cat.jpg." in text


def test_vision_bad_base64_is_422(client: openai.OpenAI) -> None:
    content: Any = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@not-base64@@"}},
    ]
    with pytest.raises(openai.UnprocessableEntityError) as excinfo:
        client.chat.completions.create(
            model=VISION, messages=[{"role": "user", "content": content}]
        )
    detail = excinfo.value.response.json()["detail"]
    assert detail[0]["loc"][:5] == ["body", "messages", 0, "content", 1]
    assert "content[1]" in detail[0]["msg"]


def test_vision_not_an_image_is_422(client: openai.OpenAI) -> None:
    url = "data:image/png;base64," + base64.b64encode(b"plain text").decode()
    content: Any = [{"type": "image_url", "image_url": {"url": url}}]
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(
            model=VISION, messages=[{"role": "user", "content": content}]
        )


def test_images_need_a_vision_model(client: openai.OpenAI) -> None:
    content: Any = [{"type": "image_url", "image_url": {"url": png_data_url(8, 8)}}]
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=CHAT, messages=[{"role": "user", "content": content}])


# -- completions --------------------------------------------------------------------------------


def test_completions_json(client: openai.OpenAI) -> None:
    reply = client.completions.create(model=CHAT, prompt="Say my name", max_tokens=7)
    assert reply.object == "text_completion"
    assert reply.id.startswith("cmpl-")
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 7
    multi = client.completions.create(
        model=CHAT, prompt=["one prompt", "two prompt"], n=2, max_tokens=50
    )
    assert [choice.index for choice in multi.choices] == [0, 1, 2, 3]


def test_completions_echo_and_logprobs(client: openai.OpenAI) -> None:
    reply = client.completions.create(
        model=CHAT, prompt="The sea", max_tokens=4, echo=True, logprobs=2
    )
    choice = reply.choices[0]
    assert choice.text.startswith("The sea")
    logprobs = choice.logprobs
    assert logprobs is not None and logprobs.tokens is not None
    assert "".join(logprobs.tokens) == choice.text
    assert logprobs.model_dump()["token_logprobs"][0] is None
    assert logprobs.text_offset is not None and logprobs.text_offset[:2] == [0, 3]
    assert logprobs.top_logprobs is not None and len(logprobs.top_logprobs[-1] or {}) == 2


def test_completions_stream(client: openai.OpenAI) -> None:
    whole = client.completions.create(
        model=CHAT, prompt="Once upon a time", max_tokens=12, stop=["zzz"]
    )
    chunks = list(
        client.completions.create(
            model=CHAT,
            prompt="Once upon a time",
            max_tokens=12,
            stop=["zzz"],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(chunk.object == "text_completion" for chunk in chunks)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == whole.choices[0].text
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert whole.usage is not None and chunks[-1].usage.total_tokens == whole.usage.total_tokens


# -- embeddings -------------------------------------------------------------------------------


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


def test_embeddings_float_and_base64(client: openai.OpenAI, emu: Emulator) -> None:
    texts = ["the cat sat on the mat", "stock prices fell"]
    as_float = client.embeddings.create(model=EMBED, input=texts, encoding_format="float")
    assert [item.index for item in as_float.data] == [0, 1]
    assert len(as_float.data[0].embedding) == 4096
    assert math.isclose(
        _cos(as_float.data[0].embedding, as_float.data[0].embedding), 1.0, rel_tol=1e-5
    )
    raw = httpx.post(
        f"{emu.base_url}/embeddings",
        json={"model": EMBED, "input": texts, "encoding_format": "base64"},
        headers={"Authorization": f"Bearer {emu.api_key}"},
    ).json()
    decoded = base64.b64decode(raw["data"][0]["embedding"])
    assert list(struct.unpack(f"<{len(decoded) // 4}f", decoded)) == as_float.data[0].embedding
    sdk_default = client.embeddings.create(model=EMBED, input=texts)
    assert emu.request_log[-1].json["encoding_format"] == "base64"
    assert sdk_default.data[1].embedding == pytest.approx(as_float.data[1].embedding, abs=1e-7)
    assert as_float.usage.prompt_tokens == as_float.usage.total_tokens > 0


def test_embeddings_dimensions(client: openai.OpenAI) -> None:
    reply = client.embeddings.create(model="Qwen/Qwen3-Embedding-8B", input="hello", dimensions=256)
    vector = reply.data[0].embedding
    assert len(vector) == 256
    assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-5)
    full = client.embeddings.create(model="Qwen/Qwen3-Embedding-8B", input="hello")
    assert len(full.data[0].embedding) == 4096


def test_embeddings_similarity_ordering(client: openai.OpenAI) -> None:
    passages = [
        "The Eiffel Tower is in Paris and was finished in 1889.",
        "Photosynthesis turns light into chemical energy in plants.",
        "The Great Wall of China is thousands of kilometres long.",
    ]
    query = "When was the Eiffel Tower finished?"
    vectors = client.embeddings.create(
        model=EMBED, input=[query, *passages], encoding_format="float"
    )
    q, *docs = [item.embedding for item in vectors.data]
    scores = [_cos(q, doc) for doc in docs]
    assert scores.index(max(scores)) == 0


def test_embeddings_reject_a_chat_model(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.embeddings.create(model=CHAT, input="x")
    assert "/v1/embeddings" in excinfo.value.response.json()["detail"]


def test_embeddings_input_limit(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        client.embeddings.create(model=EMBED, input=["x"] * 2049)


# -- images -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "pil_format"), [("png", "PNG"), ("jpg", "JPEG"), ("webp", "WEBP")]
)
def test_images_b64(client: openai.OpenAI, extension: str, pil_format: str) -> None:
    reply = client.images.generate(
        model="nebius-emulator/text-to-image",
        prompt="An elephant in a desert",
        response_format="b64_json",
        extra_body={"response_extension": extension, "width": 128, "height": 96, "seed": 3},
    )
    assert reply.data is not None and reply.data[0].b64_json is not None
    with Image.open(io.BytesIO(base64.b64decode(reply.data[0].b64_json))) as image:
        assert (image.format, image.size) == (pil_format, (128, 96))


def test_images_url_download(client: openai.OpenAI) -> None:
    reply = client.images.generate(
        model="nebius-emulator/text-to-image", prompt="A lighthouse at dusk"
    )
    assert reply.data is not None and reply.data[0].url is not None
    url = reply.data[0].url
    assert url.endswith(".webp")
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (512, 512)


@pytest.mark.parametrize(
    "extra",
    [{"width": 32}, {"height": 4096}, {"num_inference_steps": 0}, {"response_extension": "gif"}],
)
def test_images_validation(client: openai.OpenAI, extra: dict[str, Any]) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        client.images.generate(model="nebius-emulator/text-to-image", prompt="x", extra_body=extra)


# -- models and rerank -------------------------------------------------------------------------


def test_models_plain_and_verbose(client: openai.OpenAI) -> None:
    ids = [model.id for model in client.models.list()]
    assert CHAT in ids and EMBED in ids and "Qwen/Qwen3-Reranker-8B" in ids
    verbose = client.models.list(extra_query={"verbose": "true"})
    entries = {model.id: model.model_extra or {} for model in verbose}
    thinking = entries[THINKING]
    assert thinking["context_length"] == 262144
    assert "reasoning" in thinking["supported_features"] and thinking["reasoning"] is True
    assert isinstance(thinking["pricing"]["prompt"], str)
    assert thinking["architecture"]["modality"] == "text->text"
    assert "vision" in entries[VISION]["supported_features"]
    one = client.models.retrieve(CHAT)
    assert one.id == CHAT


def test_rerank(client: openai.OpenAI) -> None:
    documents = ["Berlin is in Germany.", "Paris is the capital of France.", "Bananas are yellow."]
    result = client.post(
        "/rerank",
        body={
            "model": "Qwen/Qwen3-Reranker-8B",
            "query": "capital of France",
            "documents": documents,
            "top_n": 2,
        },
        cast_to=httpx.Response,
    ).json()
    assert [item["index"] for item in result["results"]] == [1, 0]
    assert result["results"][0]["document"] == {"text": documents[1]}
    scores = [item["relevance_score"] for item in result["results"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert result["usage"]["total_tokens"] > 0


# -- async --------------------------------------------------------------------------------------


async def test_async_client_stream(async_client: openai.AsyncOpenAI) -> None:
    stream = await async_client.chat.completions.create(
        model=CHAT, messages=user("Hi"), stream=True
    )
    text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream])
    assert text.startswith("Hello!")


def test_json_mode_follows_keys_named_in_the_prompt(client: openai.OpenAI) -> None:
    prompt = "Tell me a joke about cats. Return JSON with 'setup' and 'punchline' keys."
    reply = client.chat.completions.create(
        model=CHAT, messages=user(prompt), response_format={"type": "json_object"}
    )
    value = json.loads(reply.choices[0].message.content or "")
    assert set(value) == {"setup", "punchline"} and all(isinstance(v, str) for v in value.values())


def test_json_mode_follows_a_schema_in_the_instructions(client: openai.OpenAI) -> None:
    system = "Answer with a JSON instance of this schema:\n" + json.dumps(City.model_json_schema())
    messages: Any = [
        {"role": "system", "content": system},
        {"role": "user", "content": "The city whose name is Kyoto, country is Japan"},
    ]
    reply = client.chat.completions.create(
        model=CHAT, messages=messages, response_format={"type": "json_object"}
    )
    city = City.model_validate_json(reply.choices[0].message.content or "")
    assert (city.name, city.country) == ("Kyoto", "Japan")


def test_tool_arguments_use_quoted_names(client: openai.OpenAI) -> None:
    tool: Any = {
        "type": "function",
        "function": {
            "name": "create_customer",
            "description": "Create a customer.",
            "parameters": {
                "type": "object",
                "properties": {"customer_name": {"type": "string"}},
                "required": ["customer_name"],
            },
        },
    }
    reply = client.chat.completions.create(
        model=CHAT,
        messages=user("Create a customer named '你好啊集团' (Hello Group), a Chinese company"),
        tools=[tool],
        tool_choice="required",
    )
    arguments = json.loads(function_calls(reply.choices[0].message)[0].function.arguments)
    assert arguments == {"customer_name": "你好啊集团"}
