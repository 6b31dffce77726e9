"""One stream accumulator: the core's rule for tool calls, and both adapters giving the same
tool calls for the same recorded streams."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk

from langchain_nebius._stream import ChatChunkConverter
from llama_index_nebius._stream import StreamAccumulator as LIAccumulator
from nebius_inference.accumulate import StreamAccumulator
from nebius_inference.types import ChatCompletionChunk


def _call(index: int, id: str | None = None, name: str | None = None, args: str | None = None):
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    call: dict[str, Any] = {"index": index, "function": function}
    if id is not None:
        call["id"] = id
    return call


def _chunk(*calls: dict[str, Any], finish: str | None = None, **delta: Any) -> dict[str, Any]:
    if calls:
        delta["tool_calls"] = list(calls)
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


USAGE = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "m",
    "choices": [],
    "usage": {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12},
}

# Recorded shapes of streamed tool calls, each with the calls it must give (id None: generated).
STREAMS: dict[str, tuple[list[dict[str, Any]], list[tuple[str | None, str, dict[str, Any]]]]] = {
    "several calls in one chunk": (
        [_chunk(_call(0, "c1", "add", '{"a": 1}'), _call(1, "c2", "mul", '{"b": 2}'))],
        [("c1", "add", {"a": 1}), ("c2", "mul", {"b": 2})],
    ),
    "id and name repeated in every delta": (
        [
            _chunk(_call(0, "c1", "add", '{"a"')),
            _chunk(_call(0, "c1", "add", ": 1")),
            _chunk(_call(0, "c1", None, "}")),
        ],
        [("c1", "add", {"a": 1})],
    ),
    "openai-style fragments, interleaved": (
        [
            _chunk(_call(0, "c1", "add", "")),
            _chunk(_call(0, None, None, '{"a":')),
            _chunk(_call(1, "c2", "mul", "")),
            _chunk(_call(0, None, None, " 1}")),
            _chunk(_call(1, None, None, '{"b": 2}')),
        ],
        [("c1", "add", {"a": 1}), ("c2", "mul", {"b": 2})],
    ),
    "index 0 reused for every call": (
        [
            _chunk(_call(0, "c1", "add", '{"a": 1}')),
            _chunk(_call(0, "c2", "add", '{"a": 2}')),
        ],
        [("c1", "add", {"a": 1}), ("c2", "add", {"a": 2})],
    ),
    "a changed id mid-arguments continues the call": (
        [
            _chunk(_call(0, "c1", "add", '{"a":')),
            _chunk(_call(0, "c1-b", None, " 1}")),
        ],
        [("c1", "add", {"a": 1})],
    ),
    "no id from the provider": (
        [_chunk(_call(0, None, "f", "{}"))],
        [(None, "f", {})],
    ),
    "name streamed in pieces": (
        [
            _chunk(_call(0, "c1", "get_", "")),
            _chunk(_call(0, None, "weather", '{"city": "Paris"}')),
        ],
        [("c1", "get_weather", {"city": "Paris"})],
    ),
}


def _validated(raw: list[dict[str, Any]]) -> list[ChatCompletionChunk]:
    tail = [_chunk(finish="tool_calls"), USAGE]
    return [ChatCompletionChunk.model_validate(c) for c in [*raw, *tail]]


def _langchain_calls(chunks: list[ChatCompletionChunk]) -> list[tuple[str, str, Any]]:
    converter = ChatChunkConverter(model="m")
    merged: AIMessageChunk | None = None
    for item in chunks:
        generation = converter.convert(item)
        if generation is not None:
            message = generation.message
            assert isinstance(message, AIMessageChunk)
            merged = message if merged is None else merged + message
    assert merged is not None
    return [(c["id"] or "", c["name"], c["args"]) for c in merged.tool_calls]


def _llama_index_calls(chunks: list[ChatCompletionChunk]) -> list[tuple[str, str, Any]]:
    acc = LIAccumulator()
    response = None
    for item in chunks:
        response = acc.feed(item)
    assert response is not None
    blocks = [b for b in response.message.blocks if type(b).__name__ == "ToolCallBlock"]
    return [(b.tool_call_id or "", b.tool_name, b.tool_kwargs) for b in blocks]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_both_adapters_give_the_same_tool_calls(name: str) -> None:
    raw, expected = STREAMS[name]
    chunks = _validated(raw)
    langchain = _langchain_calls(chunks)
    llama_index = _llama_index_calls(chunks)
    assert [(n, a) for _, n, a in langchain] == [(n, a) for _, n, a in expected]
    assert [(n, a) for _, n, a in llama_index] == [(n, a) for _, n, a in expected]
    for (lc_id, _, _), (li_id, _, _), (want, _, _) in zip(
        langchain, llama_index, expected, strict=True
    ):
        if want is not None:
            assert lc_id == li_id == want
        else:
            assert lc_id.startswith("call_") and li_id.startswith("call_")


def test_the_core_accumulates_the_whole_message() -> None:
    acc = StreamAccumulator()
    raw = [
        _chunk(role="assistant", reasoning_content="Let me "),
        _chunk(reasoning_content="think."),
        _chunk(content="Hel"),
        _chunk(content="lo"),
        _chunk(_call(0, "c1", "f", '{"x": 1}')),
    ]
    steps = [acc.add(ChatCompletionChunk.model_validate(c)) for c in raw]
    assert [s.content for s in steps] == ["", "", "Hel", "lo", ""]
    assert [s.reasoning for s in steps] == ["Let me ", "think.", "", "", ""]
    assert not acc.finished
    for item in _validated([]):
        acc.add(item)
    assert (acc.content, acc.reasoning, acc.finish_reason) == (
        "Hello",
        "Let me think.",
        "tool_calls",
    )
    assert acc.usage is not None and acc.usage.total_tokens == 12
    (call,) = acc.tool_calls
    assert (call.position, call.id, call.name, json.loads(call.arguments)) == (
        0,
        "c1",
        "f",
        {"x": 1},
    )


def test_a_generated_id_is_fixed_when_the_call_starts() -> None:
    acc = StreamAccumulator()
    first = acc.add(ChatCompletionChunk.model_validate(_chunk(_call(0, None, "f", "{"))))
    later = acc.add(ChatCompletionChunk.model_validate(_chunk(_call(0, "late", None, "}"))))
    (piece,) = first.tool_calls
    assert piece.started and piece.id.startswith("call_")
    assert later.tool_calls[0].id == piece.id and not later.tool_calls[0].started
    assert acc.tool_calls[0].id == piece.id
