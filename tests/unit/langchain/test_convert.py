"""The pure conversions in ``langchain_nebius._convert`` and ``._stream``: no I/O."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from pydantic import BaseModel, Field

from langchain_nebius._convert import (
    chat_result_from_completion,
    completion_to_generations,
    format_tool,
    format_tool_choice,
    message_from_api,
    message_to_dict,
    parse_tool_calls,
    usage_to_metadata,
)
from langchain_nebius._stream import ChatChunkConverter, completion_chunk_to_generation
from nebius_inference.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    Completion,
    Usage,
)
from nebius_inference.types import ToolCall as ApiToolCall

PNG_B64 = "iVBORw0KGgo="


# --- messages -> API -------------------------------------------------------------------------


def test_plain_messages_keep_roles_names_and_text() -> None:
    assert message_to_dict(HumanMessage("hi", name="ann")) == {
        "role": "user",
        "content": "hi",
        "name": "ann",
    }
    assert message_to_dict(SystemMessage("be brief")) == {"role": "system", "content": "be brief"}
    assert message_to_dict(AIMessage("ok")) == {"role": "assistant", "content": "ok"}
    # Nebius has no developer role: it becomes system.
    assert message_to_dict(ChatMessage(role="developer", content="x"))["role"] == "system"


def test_unsupported_message_type_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="FunctionMessage"):
        message_to_dict(FunctionMessage(name="f", content="1"))


def test_ai_tool_calls_become_json_string_arguments_and_null_content() -> None:
    message = AIMessage(
        "",
        tool_calls=[{"name": "lookup", "args": {"city": "Zürich", "n": 2}, "id": "call_1"}],
    )
    sent = message_to_dict(message)
    assert sent["content"] is None
    (call,) = sent["tool_calls"]
    assert call["id"] == "call_1"
    assert call["type"] == "function"
    assert call["function"]["name"] == "lookup"
    assert isinstance(call["function"]["arguments"], str)
    assert "Zürich" in call["function"]["arguments"]  # not \\u-escaped
    assert json.loads(call["function"]["arguments"]) == {"city": "Zürich", "n": 2}


def test_invalid_tool_calls_are_replayed_with_their_raw_arguments() -> None:
    message = AIMessage(
        "",
        invalid_tool_calls=[
            {"name": "f", "args": "{bad", "id": "c9", "error": "x", "type": "invalid_tool_call"}
        ],
    )
    (call,) = message_to_dict(message)["tool_calls"]
    assert call["function"] == {"name": "f", "arguments": "{bad"}


def test_anthropic_style_ai_content_drops_tool_use_and_reasoning_blocks() -> None:
    message = AIMessage(
        [
            {"type": "reasoning", "reasoning": "thinking..."},
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
        ],
        tool_calls=[{"name": "f", "args": {}, "id": "t1"}],
    )
    sent = message_to_dict(message)
    assert sent["content"] == "Let me look."
    assert sent["tool_calls"][0]["function"]["arguments"] == "{}"


def test_tool_messages_carry_the_call_id_and_text() -> None:
    sent = message_to_dict(
        ToolMessage([{"type": "text", "text": "42"}], tool_call_id="call_1", name="f")
    )
    assert sent == {"role": "tool", "content": "42", "tool_call_id": "call_1"}


@pytest.mark.parametrize(
    ("block", "url"),
    [
        ({"type": "image_url", "image_url": "https://x/a.png"}, "https://x/a.png"),
        ({"type": "image_url", "image_url": {"url": "https://x/b.png"}}, "https://x/b.png"),
        ({"type": "image", "url": "https://x/c.png"}, "https://x/c.png"),
        (
            {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
            f"data:image/png;base64,{PNG_B64}",
        ),
        (
            {"type": "image", "source_type": "base64", "data": PNG_B64, "mime_type": "image/jpeg"},
            f"data:image/jpeg;base64,{PNG_B64}",
        ),
        (
            {"type": "image", "source_type": "url", "url": "https://x/d.png"},
            "https://x/d.png",
        ),
        (
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/webp", "data": PNG_B64},
            },
            f"data:image/webp;base64,{PNG_B64}",
        ),
    ],
)
def test_every_image_form_becomes_an_image_url_part(block: dict[str, Any], url: str) -> None:
    sent = message_to_dict(HumanMessage([{"type": "text", "text": "what is this?"}, block]))
    assert sent["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]


def test_bad_image_blocks_fail_before_sending() -> None:
    with pytest.raises(ValueError, match="mime_type"):
        message_to_dict(HumanMessage([{"type": "image", "base64": PNG_B64}]))
    with pytest.raises(ValueError, match="file id"):
        message_to_dict(HumanMessage([{"type": "image", "file_id": "file-1"}]))


# --- tools -------------------------------------------------------------------------------------


class GetWeather(BaseModel):
    """Get the weather in a city."""

    city: str = Field(description="The city.")


def test_format_tool_accepts_pydantic_functions_and_dicts() -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    pydantic_tool = format_tool(GetWeather)
    assert pydantic_tool["function"]["name"] == "GetWeather"
    assert pydantic_tool["function"]["parameters"]["required"] == ["city"]
    assert format_tool(add)["function"]["name"] == "add"
    assert format_tool(GetWeather, strict=True)["function"]["strict"] is True
    openai_dict = {"type": "function", "function": {"name": "x", "parameters": {}}}
    assert format_tool(openai_dict)["function"]["name"] == "x"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        ("auto", "auto"),
        ("none", "none"),
        (None, None),
        (False, None),
        ("GetWeather", {"type": "function", "function": {"name": "GetWeather"}}),
        (
            {"type": "function", "function": {"name": "GetWeather"}},
            {"type": "function", "function": {"name": "GetWeather"}},
        ),
    ],
)
def test_tool_choice_mapping(choice: Any, expected: Any) -> None:
    assert format_tool_choice(choice, ["GetWeather"]) == expected


def test_tool_choice_naming_an_unbound_tool_is_an_error() -> None:
    with pytest.raises(ValueError, match="names no bound tool"):
        format_tool_choice("other", ["GetWeather"])


# --- API -> messages ---------------------------------------------------------------------------


def _api_call(arguments: str, name: str = "f", id_: str = "c1") -> ApiToolCall:
    return ApiToolCall.model_validate(
        {"id": id_, "type": "function", "function": {"name": name, "arguments": arguments}}
    )


def test_tool_call_arguments_are_parsed_and_bad_ones_become_invalid_calls() -> None:
    calls, invalid = parse_tool_calls(
        [
            _api_call('{"x": 1}'),
            _api_call("", id_="c2"),
            _api_call("{not json", id_="c3"),
            _api_call("[1, 2]", id_="c4"),
        ]
    )
    assert [(c["id"], c["args"]) for c in calls] == [("c1", {"x": 1}), ("c2", {})]
    assert [(c["id"], c["args"]) for c in invalid] == [("c3", "{not json"), ("c4", "[1, 2]")]
    assert all(c["error"] for c in invalid)


def test_reasoning_goes_to_additional_kwargs_and_the_standard_reasoning_block() -> None:
    for field in ("reasoning_content", "reasoning"):
        message = message_from_api(
            ChatCompletionMessage.model_validate({"content": "4", field: "2+2 is 4"})
        )
        assert message.additional_kwargs["reasoning_content"] == "2+2 is 4"
        message.response_metadata["model_provider"] = "nebius"
        blocks = message.content_blocks
        assert blocks[0] == {"type": "reasoning", "reasoning": "2+2 is 4"}
        assert blocks[1]["type"] == "text"


def test_usage_metadata_includes_reasoning_and_cache_reads() -> None:
    usage = Usage.model_validate(
        {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 3},
        }
    )
    assert usage_to_metadata(usage) == {
        "input_tokens": 10,
        "output_tokens": 5,
        "total_tokens": 15,
        "input_token_details": {"cache_read": 4},
        "output_token_details": {"reasoning": 3},
    }
    plain = usage_to_metadata(Usage(prompt_tokens=2, completion_tokens=1))
    assert plain == {"input_tokens": 2, "output_tokens": 1, "total_tokens": 3}


def test_chat_result_metadata() -> None:
    completion = ChatCompletion.model_validate(
        {
            "id": "chatcmpl-9",
            "model": "",
            "system_fingerprint": "fp",
            "choices": [
                {
                    "index": 0,
                    "message": {"content": "hi"},
                    "finish_reason": "length",
                    "logprobs": {"content": [{"token": "hi", "logprob": -0.1}]},
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )
    result = chat_result_from_completion(completion, model="asked", headers={"X-A": "1"})
    (generation,) = result.generations
    meta = generation.message.response_metadata
    assert meta["model_name"] == "asked"  # the reply named no model
    assert meta["model_provider"] == "nebius"
    assert meta["id"] == "chatcmpl-9"
    assert meta["system_fingerprint"] == "fp"
    assert meta["headers"] == {"x-a": "1"}
    assert generation.generation_info is not None
    assert generation.generation_info["finish_reason"] == "length"
    assert generation.generation_info["logprobs"]["content"][0]["token"] == "hi"
    assert isinstance(generation.message, AIMessage)
    assert generation.message.usage_metadata == {
        "input_tokens": 1,
        "output_tokens": 1,
        "total_tokens": 2,
    }


# --- streaming ---------------------------------------------------------------------------------


def _chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish: str | None = None,
    usage: dict[str, int] | None = None,
    choices: bool = True,
) -> ChatCompletionChunk:
    data: dict[str, Any] = {"id": "s1", "model": "m-served"}
    data["choices"] = (
        [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else []
    )
    if usage is not None:
        data["usage"] = usage
    return ChatCompletionChunk.model_validate(data)


def _merge(converter: ChatChunkConverter, chunks: list[ChatCompletionChunk]) -> AIMessageChunk:
    merged: AIMessageChunk | None = None
    for chunk in chunks:
        generation = converter.convert(chunk)
        if generation is None:
            continue
        message = generation.message
        assert isinstance(message, AIMessageChunk)
        message.response_metadata.update(generation.generation_info or {})
        merged = message if merged is None else merged + message
    assert merged is not None
    return merged


def _tool_delta(
    index: int, id_: str | None = None, name: str | None = None, args: str | None = None
) -> dict[str, Any]:
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    call: dict[str, Any] = {"index": index, "function": function}
    if id_ is not None:
        call["id"] = id_
    return {"tool_calls": [call]}


def test_stream_tool_calls_with_repeated_ids_and_names_are_not_glued() -> None:
    chunks = [
        _chunk(_tool_delta(0, "call_a", "get_weather", "")),
        _chunk(_tool_delta(0, "call_a", "get_weather", '{"city": ')),
        _chunk(_tool_delta(0, "call_a", "get_weather", '"Paris"}')),
        _chunk(finish="tool_calls"),
    ]
    merged = _merge(ChatChunkConverter(model="m"), chunks)
    assert merged.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_a", "type": "tool_call"}
    ]


def test_stream_several_tools_in_one_chunk_and_generated_ids() -> None:
    first = _chunk(
        {
            "tool_calls": [
                {"index": 0, "function": {"name": "a", "arguments": '{"x": 1}'}},
                {"index": 1, "id": "call_b", "function": {"name": "b", "arguments": "{}"}},
            ]
        }
    )
    merged = _merge(ChatChunkConverter(model="m"), [first, _chunk(finish="tool_calls")])
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [("a", {"x": 1}), ("b", {})]
    ids = [c["id"] for c in merged.tool_calls]
    assert ids[1] == "call_b"
    assert isinstance(ids[0], str)
    assert ids[0].startswith("call_")


def test_stream_reused_index_with_a_new_id_is_a_new_call() -> None:
    chunks = [
        _chunk(_tool_delta(0, "call_1", "a", "{}")),
        _chunk(_tool_delta(0, "call_2", "b", '{"y": 2}')),
    ]
    merged = _merge(ChatChunkConverter(model="m"), chunks)
    assert [(c["id"], c["name"], c["args"]) for c in merged.tool_calls] == [
        ("call_1", "a", {}),
        ("call_2", "b", {"y": 2}),
    ]


def test_stream_bad_tool_arguments_do_not_crash_and_keep_the_raw_text() -> None:
    # LangChain parses streamed arguments as partial JSON itself; the raw text stays available.
    merged = _merge(ChatChunkConverter(model="m"), [_chunk(_tool_delta(0, "c", "f", "[1, 2]"))])
    assert merged.tool_call_chunks[0]["args"] == "[1, 2]"
    assert merged.tool_calls == []
    assert merged.invalid_tool_calls[0]["args"] == "[1, 2]"


def test_stream_usage_is_counted_once_even_when_repeated() -> None:
    converter = ChatChunkConverter(model="m")
    usage_1 = {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
    usage_2 = {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}
    chunks = [
        _chunk({"content": "a"}, usage=usage_1),
        _chunk({"content": "b"}, usage=usage_2),
        _chunk(finish="stop"),
        _chunk(usage=usage_2, choices=False),  # the final usage chunk repeats the total
    ]
    with_input = 0
    for chunk in chunks:
        generation = converter.convert(chunk)
        if generation is not None and isinstance(generation.message, AIMessageChunk):
            usage = generation.message.usage_metadata
            with_input += bool(usage and usage["input_tokens"])
    assert with_input == 1
    merged = _merge(ChatChunkConverter(model="m"), chunks)
    assert merged.usage_metadata == {"input_tokens": 5, "output_tokens": 4, "total_tokens": 9}
    assert merged.content == "ab"


def test_stream_metadata_is_set_once() -> None:
    chunks = [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"content": "Hi"}),
        _chunk({"content": "!"}, finish="stop"),
        _chunk(
            usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}, choices=False
        ),
    ]
    merged = _merge(ChatChunkConverter(model="m", headers={"X-Ratelimit-Remaining": "9"}), chunks)
    meta = merged.response_metadata
    assert meta["model_name"] == "m-served"
    assert meta["finish_reason"] == "stop"
    assert meta["id"] == "s1"
    assert meta["model_provider"] == "nebius"
    assert meta["headers"] == {"x-ratelimit-remaining": "9"}


def test_stream_reasoning_deltas_accumulate() -> None:
    chunks = [
        _chunk({"reasoning_content": "Let me "}),
        _chunk({"reasoning": "think."}),
        _chunk({"content": "42"}, finish="stop"),
    ]
    merged = _merge(ChatChunkConverter(model="m"), chunks)
    assert merged.additional_kwargs["reasoning_content"] == "Let me think."
    assert merged.content_blocks[0] == {"type": "reasoning", "reasoning": "Let me think."}


def test_empty_chunks_are_skipped() -> None:
    converter = ChatChunkConverter(model="m")
    assert converter.convert(_chunk(choices=False)) is None


# --- completions -------------------------------------------------------------------------------


def test_completion_choices_are_grouped_per_prompt() -> None:
    completion = Completion.model_validate(
        {
            "choices": [
                {"index": 2, "text": "c", "finish_reason": "stop"},
                {"index": 0, "text": "a", "finish_reason": "stop"},
                {"index": 3, "text": "d", "finish_reason": "length"},
                {"index": 1, "text": "b", "finish_reason": "stop"},
            ]
        }
    )
    groups = completion_to_generations(completion, n_prompts=2, n=2)
    assert [[g.text for g in group] for group in groups] == [["a", "b"], ["c", "d"]]
    assert groups[1][1].generation_info == {"finish_reason": "length"}


def test_completion_stream_chunks() -> None:
    text = completion_chunk_to_generation(
        Completion.model_validate({"model": "m", "choices": [{"text": "Hi", "index": 0}]})
    )
    assert text is not None
    assert text.text == "Hi"
    usage = completion_chunk_to_generation(
        Completion.model_validate(
            {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}}
        )
    )
    assert usage is not None
    assert usage.generation_info == {
        "token_usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 0}
    }
    assert completion_chunk_to_generation(Completion.model_validate({"choices": []})) is None
