"""Pure conversions: ChatMessage/blocks <-> Nebius messages, stream accumulation, JSON."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Literal

import pytest
from fakes import chunk, usage_chunk
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    CitableBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from pydantic import BaseModel

from llama_index_nebius._convert import (
    chat_response_from_completion,
    logprobs_from_nebius,
    merge_body,
    message_from_nebius,
    resolve_tool_choice,
    to_nebius_message,
    tool_selections,
    usage_kwargs,
)
from llama_index_nebius._stream import StreamAccumulator
from llama_index_nebius._structured import (
    StructuredOutputError,
    extract_json,
    parse_structured,
    structured_kwargs,
    with_schema_instruction,
)
from nebius_inference.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    Logprobs,
    Usage,
    json_schema_response_format,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


# -- messages out ------------------------------------------------------------------------------


def test_text_message_is_a_plain_string() -> None:
    msg = ChatMessage(role="user", blocks=[TextBlock(text="a"), TextBlock(text="b")])
    assert to_nebius_message(msg) == {"role": "user", "content": "a\nb"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (MessageRole.SYSTEM, "system"),
        (MessageRole.DEVELOPER, "system"),
        (MessageRole.CHATBOT, "assistant"),
        (MessageRole.MODEL, "assistant"),
        (MessageRole.USER, "user"),
    ],
)
def test_roles_map_to_the_four_nebius_roles(role: MessageRole, expected: str) -> None:
    assert to_nebius_message(ChatMessage(role=role, content="x"))["role"] == expected


def test_image_url_block_becomes_an_image_url_part() -> None:
    msg = ChatMessage(
        role="user",
        blocks=[TextBlock(text="what is this?"), ImageBlock(url="https://x.test/cat.png")],
    )
    out = to_nebius_message(msg)
    assert out["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "https://x.test/cat.png"}},
    ]


def test_image_bytes_become_a_data_url_with_detail() -> None:
    out = to_nebius_message(ChatMessage(role="user", blocks=[ImageBlock(image=PNG, detail="low")]))
    part = out["content"][0]
    url = part["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == PNG
    assert part["image_url"]["detail"] == "low"


def test_image_path_becomes_a_data_url(tmp_path: Path) -> None:
    path = tmp_path / "pic.png"
    path.write_bytes(PNG)
    out = to_nebius_message(ChatMessage(role="user", blocks=[ImageBlock(path=path)]))
    url = out["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == PNG


def test_data_url_passes_through_unchanged() -> None:
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    out = to_nebius_message(ChatMessage(role="user", blocks=[ImageBlock(url=data_url)]))
    assert out["content"][0]["image_url"]["url"] == data_url


def test_assistant_tool_call_blocks_become_tool_calls() -> None:
    msg = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="hmm"),
            ToolCallBlock(tool_call_id="c1", tool_name="add", tool_kwargs={"a": 1}),
            ToolCallBlock(tool_call_id="c2", tool_name="mul", tool_kwargs='{"b": 2}'),
        ],
    )
    out = to_nebius_message(msg)
    assert out["content"] is None  # thinking is not sent back; no text
    assert out["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}},
        {"id": "c2", "type": "function", "function": {"name": "mul", "arguments": '{"b": 2}'}},
    ]


def test_legacy_additional_kwargs_tool_calls_are_accepted() -> None:
    msg = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [
                {"id": "c9", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ]
        },
    )
    out = to_nebius_message(msg)
    assert out["tool_calls"][0]["id"] == "c9"
    assert out["tool_calls"][0]["function"] == {"name": "f", "arguments": "{}"}


def test_blocks_win_over_legacy_tool_calls_without_duplicates() -> None:
    legacy = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    msg = ChatMessage(
        role="assistant",
        blocks=[ToolCallBlock(tool_call_id="c1", tool_name="f", tool_kwargs={})],
        additional_kwargs={"tool_calls": legacy},
    )
    assert len(to_nebius_message(msg)["tool_calls"]) == 1


def test_tool_message_keeps_its_call_id_and_describes_images() -> None:
    msg = ChatMessage(
        role="tool",
        blocks=[TextBlock(text="done"), ImageBlock(image=PNG)],
        additional_kwargs={"tool_call_id": "c1"},
    )
    out = to_nebius_message(msg)
    assert out["role"] == "tool"
    assert out["tool_call_id"] == "c1"
    assert out["content"] == "done\n[image/png image]"


def test_citable_blocks_are_unwrapped() -> None:
    msg = ChatMessage(
        role="user",
        blocks=[CitableBlock(title="t", source="s", content=[TextBlock(text="quoted")])],
    )
    assert to_nebius_message(msg)["content"] == "quoted"


def test_text_documents_are_inlined_and_binary_ones_rejected() -> None:
    text_doc = DocumentBlock(
        data=b"line one\nline two", document_mimetype="text/plain", title="notes"
    )
    out = to_nebius_message(
        ChatMessage(role="user", blocks=[TextBlock(text="Summarise:"), text_doc])
    )
    assert out["content"] == "Summarise:\nnotes:\nline one\nline two"
    pdf = DocumentBlock(data=b"%PDF-1.4 binary", document_mimetype="application/pdf")
    with pytest.raises(ValueError, match="application/pdf"):
        to_nebius_message(ChatMessage(role="user", blocks=[pdf]))


def test_audio_is_rejected_with_a_clear_error() -> None:
    msg = ChatMessage(role="user", blocks=[AudioBlock(audio=b"abc", format="mp3")])
    with pytest.raises(ValueError, match="text and images"):
        to_nebius_message(msg)


# -- request bodies ----------------------------------------------------------------------------


def test_merge_body_later_layers_win_and_extra_body_is_flattened() -> None:
    body = merge_body(
        {"model": "m", "temperature": 0.1, "max_tokens": 9},
        {"temperature": 0.5, "extra_body": {"top_k": 5, "seed": 1}},
        {"extra_body": {"top_k": 7}, "max_tokens": None},
    )
    assert body == {"model": "m", "temperature": 0.5, "top_k": 7, "seed": 1}


@pytest.mark.parametrize(
    ("choice", "required", "expected"),
    [
        (None, False, "auto"),
        (None, True, "required"),
        ("none", False, "none"),
        ("get_weather", False, {"type": "function", "function": {"name": "get_weather"}}),
    ],
)
def test_resolve_tool_choice(choice: str | None, required: bool, expected: object) -> None:
    assert resolve_tool_choice(choice, required) == expected


def test_schema_instruction_joins_an_existing_system_message() -> None:
    schema = {"type": "object"}
    sys_first = with_schema_instruction(
        [ChatMessage(role="system", content="Be brief."), ChatMessage(content="hi")], schema
    )
    assert len(sys_first) == 2
    assert sys_first[0].content is not None
    assert sys_first[0].content.startswith("Be brief.\n")
    assert "single JSON object" in sys_first[0].content
    no_sys = with_schema_instruction([ChatMessage(content="hi")], schema)
    assert [m.role for m in no_sys] == [MessageRole.SYSTEM, MessageRole.USER]


def test_schema_instruction_names_the_fields_in_words_not_as_a_schema() -> None:
    class Trip(BaseModel):
        city: str
        days: int
        tags: list[str]
        mode: Literal["car", "train"]
        ok: bool | None = None

    (note,) = with_schema_instruction([], Trip.model_json_schema())
    assert note.content == (
        "Answer with a single JSON object and nothing else; its fields: city (text), "
        "days (integer), tags (list), mode (one of car/train), ok (any)."
    )


def test_structured_kwargs_and_the_json_schema_format() -> None:
    schema = {"title": "My trip: v2", "type": "object"}
    kwargs = structured_kwargs(schema, {"tools": [], "tool_choice": "required", "top_k": 2})
    assert kwargs == {
        "top_k": 2,
        "guided_json": schema,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "My_trip_v2", "schema": schema, "strict": True},
        },
    }
    assert json_schema_response_format({}, strict=None) == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": {}},
    }
    # A constraint of the caller's own, even an explicit None (unset), is left as it is.
    assert structured_kwargs(schema, {"response_format": None}) == {"response_format": None}


# -- replies -----------------------------------------------------------------------------------


def test_reply_with_reasoning_and_tool_calls() -> None:
    message = ChatCompletionMessage.model_validate(
        {
            "role": "assistant",
            "content": None,
            "reasoning": "think",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x":1}'}},
                {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "oops"}},
            ],
        }
    )
    out = message_from_nebius(message, Usage(completion_tokens=5, reasoning_tokens=3))
    thinking, first, second = out.blocks
    assert isinstance(thinking, ThinkingBlock)
    assert (thinking.content, thinking.num_tokens) == ("think", 3)
    assert isinstance(first, ToolCallBlock) and first.tool_kwargs == {"x": 1}
    assert isinstance(second, ToolCallBlock) and second.tool_kwargs == "oops"
    assert [c["id"] for c in out.additional_kwargs["tool_calls"]] == ["c1", "c2"]
    assert [s.tool_kwargs for s in tool_selections(out)] == [{"x": 1}, {}]


def test_chat_response_carries_usage_raw_and_logprobs() -> None:
    completion = ChatCompletion.model_validate(
        {
            "choices": [
                {
                    "message": {"content": "hi"},
                    "logprobs": {
                        "content": [
                            {
                                "token": "hi",
                                "logprob": -0.1,
                                "top_logprobs": [
                                    {"token": "hi", "logprob": -0.1},
                                    {"token": "yo", "logprob": -2.0},
                                ],
                            }
                        ]
                    },
                }
            ],
            "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5},
        }
    )
    response = chat_response_from_completion(completion)
    assert response.message.content == "hi"
    assert response.raw is completion
    assert response.additional_kwargs == {
        "prompt_tokens": 4,
        "completion_tokens": 1,
        "total_tokens": 5,
    }
    assert response.logprobs is not None
    assert [lp.token for lp in response.logprobs[0]] == ["hi", "yo"]


def test_logprobs_without_alternatives_use_the_token() -> None:
    logprobs = Logprobs.model_validate({"content": [{"token": "a", "logprob": -1.5}]})
    out = logprobs_from_nebius(logprobs)
    assert out is not None
    assert [(lp.token, lp.logprob) for lp in out[0]] == [("a", -1.5)]
    assert logprobs_from_nebius(None) is None


def test_usage_kwargs_include_reasoning_tokens_when_known() -> None:
    assert usage_kwargs(None) == {}
    usage = Usage(prompt_tokens=1, completion_tokens=2, total_tokens=3)
    assert usage_kwargs(usage) == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    details = Usage(completion_tokens_details={"reasoning_tokens": 4})
    assert usage_kwargs(details)["reasoning_tokens"] == 4


# -- streamed tool calls -----------------------------------------------------------------------


def test_stream_accumulator_builds_cumulative_messages_with_usage_last() -> None:
    acc = StreamAccumulator()
    events = [
        chunk(role="assistant", reasoning="Let me "),
        chunk(reasoning="think."),
        chunk(content="Hel"),
        chunk(content="lo", finish_reason="stop"),
        usage_chunk(5, 4),
    ]
    responses = [acc.feed(ChatCompletionChunk.model_validate(e)) for e in events]
    assert [r.delta for r in responses] == ["", "", "Hel", "lo", ""]
    assert responses[1].additional_kwargs["thinking_delta"] == "think."
    assert responses[3].message.content == "Hello"
    last = responses[-1]
    assert last.additional_kwargs["total_tokens"] == 9
    assert isinstance(last.message.blocks[0], ThinkingBlock)
    assert last.message.blocks[0].content == "Let me think."
    assert "prompt_tokens" not in responses[2].additional_kwargs


def test_stream_accumulator_parses_tool_arguments_once_finished() -> None:
    acc = StreamAccumulator()
    first = acc.feed(
        ChatCompletionChunk.model_validate(
            chunk(
                tool_calls=[{"index": 0, "id": "c1", "function": {"name": "f", "arguments": "{"}}]
            )
        )
    )
    assert first.message.blocks[-1].tool_kwargs == "{"  # type: ignore[union-attr]
    last = acc.feed(
        ChatCompletionChunk.model_validate(
            chunk(
                tool_calls=[{"index": 0, "function": {"arguments": '"x": 1}'}}],
                finish_reason="tool_calls",
            )
        )
    )
    assert last.message.blocks[-1].tool_kwargs == {"x": 1}  # type: ignore[union-attr]
    assert last.message.additional_kwargs["tool_calls"][0]["function"]["arguments"] == '{"x": 1}'


# -- JSON --------------------------------------------------------------------------------------


class Pet(BaseModel):
    name: str
    age: int


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "Rex", "age": 3}',
        '```json\n{"name": "Rex", "age": 3}\n```',
        'Sure! Here it is: {"name": "Rex", "age": 3} Enjoy.',
        '<think>Answer as {"name": ..., "age": ...}.</think>\n{"name": "Rex", "age": 3}',
        '  <think>\nfirst {guess}\n</think>```json\n{"name": "Rex", "age": 3}\n```',
    ],
)
def test_parse_structured_accepts_json_in_common_wrappers(text: str) -> None:
    assert parse_structured(Pet, text) == Pet(name="Rex", age=3)


def test_parse_structured_error_keeps_the_raw_text() -> None:
    with pytest.raises(StructuredOutputError, match="not a valid Pet") as info:
        parse_structured(Pet, '{"name": "Rex"}')
    assert info.value.raw_text == '{"name": "Rex"}'
    assert info.value.output_cls is Pet
    assert isinstance(info.value, ValueError)


def test_extract_json_leaves_plain_text_alone() -> None:
    assert extract_json("no json here") == "no json here"
    assert json.loads(extract_json(" [1, 2] ")) == [1, 2]
