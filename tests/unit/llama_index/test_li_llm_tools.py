"""NebiusLLM function calling: tool specs, tool calls (plain and streamed), agents."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes import FakeAPI, chat_reply, chunk, stream_response, tool_call, usage_chunk
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.tools import FunctionTool

from llama_index_nebius import NebiusLLM

MakeLLM = Callable[..., NebiusLLM]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


ADD = FunctionTool.from_defaults(fn=add)
MUL = FunctionTool.from_defaults(fn=multiply)


def test_chat_with_tools_sends_tool_specs_and_auto_choice(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply(None, tool_calls=[tool_call("c1", "add", {"a": 2, "b": 3})]))
    history = [ChatMessage(role="system", content="Use tools.")]
    response = make_llm().chat_with_tools([ADD, MUL], user_msg="2+3?", chat_history=history)
    body = fake.body()
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "multiply"]
    assert body["tools"][0]["type"] == "function"
    assert body["tools"][0]["function"]["parameters"]["required"] == ["a", "b"]
    assert body["tool_choice"] == "auto"
    assert body["messages"][-1] == {"role": "user", "content": "2+3?"}
    assert len(history) == 1  # the caller's history is not modified
    assert "parallel_tool_calls" not in body
    block = response.message.blocks[-1]
    assert isinstance(block, ToolCallBlock) and block.tool_kwargs == {"a": 2, "b": 3}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"tool_required": True}, "required"),
        ({"tool_choice": "multiply"}, {"type": "function", "function": {"name": "multiply"}}),
        ({"tool_choice": "none"}, "none"),
    ],
)
def test_tool_choice(fake: FakeAPI, make_llm: MakeLLM, kwargs: dict, expected: object) -> None:
    fake.queue(chat_reply("ok"))
    make_llm().chat_with_tools([ADD, MUL], user_msg="x", **kwargs)
    assert fake.body()["tool_choice"] == expected


def test_no_tools_means_no_tool_fields(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply("ok"))
    make_llm().chat_with_tools([], user_msg="x")
    assert "tools" not in fake.body() and "tool_choice" not in fake.body()


def test_get_tool_calls_from_response(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(
        chat_reply(
            None,
            tool_calls=[
                tool_call("c1", "add", {"a": 1, "b": 2}),
                tool_call("c2", "multiply", {"a": 3, "b": 4}),
            ],
        ),
        chat_reply("no tools here"),
    )
    llm = make_llm()
    response = llm.chat_with_tools([ADD, MUL], user_msg="x", allow_parallel_tool_calls=True)
    calls = llm.get_tool_calls_from_response(response)
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("c1", "add", {"a": 1, "b": 2}),
        ("c2", "multiply", {"a": 3, "b": 4}),
    ]
    plain = llm.chat_with_tools([ADD], user_msg="y")
    assert llm.get_tool_calls_from_response(plain, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="no tools here"):
        llm.get_tool_calls_from_response(plain)


def test_single_tool_call_unless_parallel_allowed(fake: FakeAPI, make_llm: MakeLLM) -> None:
    two = [tool_call("c1", "add", {"a": 1, "b": 2}), tool_call("c2", "add", {"a": 5, "b": 5})]
    fake.queue(chat_reply(None, tool_calls=two))
    llm = make_llm()
    response = llm.chat_with_tools([ADD], user_msg="x")
    calls = llm.get_tool_calls_from_response(response)
    assert [c.tool_id for c in calls] == ["c1"]
    assert len(response.message.additional_kwargs["tool_calls"]) == 1


def test_predict_and_call_runs_the_tool(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply(None, tool_calls=[tool_call("c1", "multiply", {"a": 6, "b": 7})]))
    result = make_llm().predict_and_call([ADD, MUL], user_msg="6*7?")
    assert result.response == "42"
    assert result.sources[0].tool_name == "multiply"


async def test_apredict_and_call(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply(None, tool_calls=[tool_call("c1", "add", {"a": 6, "b": 7})]))
    result = await make_llm().apredict_and_call([ADD, MUL], user_msg="6+7?")
    assert result.response == "13"


def test_tool_history_is_sent_back_in_nebius_shape(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply(None, tool_calls=[tool_call("c1", "add", {"a": 1, "b": 2})]))
    fake.queue(chat_reply("The sum is 3."))
    llm = make_llm()
    first = llm.chat_with_tools([ADD], user_msg="1+2?")
    history = [
        ChatMessage(role="user", content="1+2?"),
        first.message,
        ChatMessage(role="tool", content="3", additional_kwargs={"tool_call_id": "c1"}),
    ]
    llm.chat_with_tools([ADD], chat_history=history)
    sent = fake.body()["messages"]
    assert sent[1]["role"] == "assistant"
    assert sent[1]["tool_calls"] == [
        {
            "id": "c1",
            "type": "function",
            "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
        }
    ]
    assert sent[2] == {"role": "tool", "content": "3", "tool_call_id": "c1"}


# -- streamed tool calls -----------------------------------------------------------------------

MULTI_CALL_STREAM = [
    chunk(role="assistant"),
    # two calls in one chunk, the provider repeating ids and names in every delta
    chunk(
        tool_calls=[
            {
                "index": 0,
                "id": "c1",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a": 1,'},
            },
            {
                "index": 1,
                "id": "c2",
                "type": "function",
                "function": {"name": "multiply", "arguments": '{"a": 3,'},
            },
        ]
    ),
    chunk(
        tool_calls=[
            {"index": 0, "id": "c1", "function": {"name": "add", "arguments": ' "b": 2}'}},
            {"index": 1, "id": "c2", "function": {"name": "multiply", "arguments": ' "b": 4}'}},
        ],
        finish_reason="tool_calls",
    ),
    usage_chunk(5, 4),
]


def test_stream_chat_with_tools_accumulates_every_call(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(stream_response(*MULTI_CALL_STREAM))
    llm = make_llm()
    responses = list(
        llm.stream_chat_with_tools([ADD, MUL], user_msg="x", allow_parallel_tool_calls=True)
    )
    assert fake.body()["tools"] and fake.body()["stream"] is True
    calls = llm.get_tool_calls_from_response(responses[-1])
    assert [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("c1", "add", {"a": 1, "b": 2}),
        ("c2", "multiply", {"a": 3, "b": 4}),
    ]
    partial = llm.get_tool_calls_from_response(responses[1], error_on_no_tool_call=False)
    assert [c.tool_id for c in partial] == ["c1", "c2"]
    assert responses[-1].additional_kwargs["total_tokens"] == 9


async def test_astream_chat_with_tools(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(stream_response(*MULTI_CALL_STREAM))
    llm = make_llm()
    gen = await llm.astream_chat_with_tools([ADD, MUL], user_msg="x")
    responses = [r async for r in gen]
    calls = llm.get_tool_calls_from_response(responses[-1])
    assert [c.tool_id for c in calls] == ["c1", "c2"]


def test_stream_without_finish_reason_still_completes_tool_calls(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    fake.queue(
        stream_response(
            chunk(tool_calls=[{"index": 0, "function": {"name": "add", "arguments": "{}"}}])
        )
    )
    llm = make_llm()
    responses = list(llm.stream_chat_with_tools([ADD], user_msg="x"))
    (call,) = llm.get_tool_calls_from_response(responses[-1])
    assert call.tool_id.startswith("call_")


# -- agents ------------------------------------------------------------------------------------

# Building a workflow agent walks its members with inspect.getmembers (in the workflows
# package), which touches pydantic's deprecated instance attributes (``__fields__``,
# ``model_computed_fields``...). Only those warnings, raised from ``inspect``, are ignored.
IGNORE_PYDANTIC_20 = "ignore::pydantic.warnings.PydanticDeprecatedSince20:inspect"
IGNORE_PYDANTIC_211 = "ignore::pydantic.warnings.PydanticDeprecatedSince211:inspect"


@pytest.mark.filterwarnings(IGNORE_PYDANTIC_20)
@pytest.mark.filterwarnings(IGNORE_PYDANTIC_211)
@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_runs_a_tool_loop(
    fake: FakeAPI, make_llm: MakeLLM, streaming: bool
) -> None:
    if streaming:
        fake.queue(
            stream_response(
                *[
                    chunk(
                        tool_calls=[
                            {
                                "index": 0,
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
                            }
                        ],
                        finish_reason="tool_calls",
                    ),
                    usage_chunk(5, 4),
                ]
            ),
            stream_response(
                chunk(content="The answer is 5.", finish_reason="stop"), usage_chunk(5, 4)
            ),
        )
    else:
        fake.queue(
            chat_reply(None, tool_calls=[tool_call("c1", "add", {"a": 2, "b": 3})]),
            chat_reply("The answer is 5."),
        )
    agent = FunctionAgent(tools=[ADD, MUL], llm=make_llm(), streaming=streaming)
    result = await agent.run(user_msg="What is 2+3?")
    assert "5" in str(result)
    assert [t.tool_name for t in result.tool_calls] == ["add"]
    second = fake.bodies[1]["messages"]
    assert second[-1] == {"role": "tool", "content": "5", "tool_call_id": "c1"}
    assert second[-2]["tool_calls"][0]["function"]["name"] == "add"
