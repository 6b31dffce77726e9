"""The pure pieces of ``llama_index_nebius.batch``: request bodies as ``chat`` /
``chat_with_tools`` send them, responses as they return them, failures in their slots. The
reference calls run against the scripted fake API (``tests/fakes``, on both send routes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes import API_KEY, FakeAPI, chat_reply, tool_call
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ToolCallBlock
from llama_index.core.tools import FunctionTool

import nebius_inference as ni
from llama_index_nebius import NebiusEmbedding, NebiusLLM
from llama_index_nebius.batch import (
    ChatBatchJob,
    ChatRequests,
    NebiusBatchError,
    NebiusBatchItemError,
    chat_outputs,
    embedding_batch_requests,
    vectors_from_results,
)
from nebius_inference.batch import BatchItemResult, BatchResults
from nebius_inference.types import ChatCompletion, CreateEmbeddingResponse

MakeLLM = Callable[..., NebiusLLM]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


ADD = FunctionTool.from_defaults(fn=add)
CHATS: list[Any] = [
    [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hi")],
    "a prompt string",
]


def _dump(response: ChatResponse) -> dict[str, Any]:
    return {
        "message": response.message.model_dump(),
        "raw": response.raw.model_dump() if response.raw is not None else None,
        "additional_kwargs": response.additional_kwargs,
        "logprobs": response.logprobs,
    }


def test_bodies_are_what_chat_sends(fake: FakeAPI, make_llm: MakeLLM) -> None:
    llm = make_llm(temperature=0.3, additional_kwargs={"top_k": 4})
    spec = ChatRequests(llm, {"max_tokens": 7, "extra_body": {"guided_regex": "a+"}})
    bodies = spec.bodies(CHATS)
    for chat in CHATS:
        fake.queue(chat_reply())
        if isinstance(chat, str):
            llm.complete(chat, max_tokens=7, extra_body={"guided_regex": "a+"})
        else:
            llm.chat(chat, max_tokens=7, extra_body={"guided_regex": "a+"})
    assert bodies == fake.bodies
    assert bodies[0]["top_k"] == 4 and bodies[0]["guided_regex"] == "a+"
    assert bodies[1]["messages"] == [{"role": "user", "content": "a prompt string"}]


@pytest.mark.parametrize(
    ("tool_required", "llm_kwargs"),
    [(False, {}), (True, {}), (False, {"tool_choice": "add"})],
    ids=["auto", "required", "named"],
)
def test_tool_bodies_are_what_chat_with_tools_sends(
    fake: FakeAPI, make_llm: MakeLLM, tool_required: bool, llm_kwargs: dict[str, Any]
) -> None:
    llm = make_llm()
    spec = ChatRequests(llm, llm_kwargs, tools=[ADD], tool_required=tool_required)
    [body] = spec.bodies([[ChatMessage(role="user", content="2+3?")]])
    fake.queue(chat_reply())
    llm.chat_with_tools([ADD], user_msg="2+3?", tool_required=tool_required, **llm_kwargs)
    assert body == fake.body()
    assert body["tools"][0]["function"]["name"] == "add"


def test_chats_must_be_message_lists_or_strings(make_llm: MakeLLM) -> None:
    spec = ChatRequests(make_llm())
    with pytest.raises(TypeError, match="list of chats"):
        spec.bodies("one prompt")
    with pytest.raises(TypeError, match="not a list holding dict"):
        spec.bodies([[{"role": "user", "content": "hi"}]])


def test_responses_equal_what_chat_returns(fake: FakeAPI, make_llm: MakeLLM) -> None:
    llm = make_llm(model="Qwen/Qwen3-235B-A22B-Thinking-2507")
    reply = chat_reply(
        "4", reasoning="2 plus 2", logprobs={"content": [{"token": "4", "logprob": 0}]}
    )
    fake.queue(reply)
    expected = llm.chat([ChatMessage(role="user", content="2+2?")])
    got = ChatRequests(llm).response(ChatCompletion.model_validate(reply))
    assert _dump(got) == _dump(expected)
    assert got.message.content == "4" and got.additional_kwargs["total_tokens"] == 10


def test_tool_responses_keep_one_call_unless_parallel_calls_are_allowed(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    llm = make_llm()
    calls = [tool_call("c1", "add", {"a": 1, "b": 2}), tool_call("c2", "add", {"a": 3, "b": 4})]
    reply = chat_reply(None, tool_calls=calls, finish_reason="tool_calls")
    fake.queue(reply, reply)
    single = llm.chat_with_tools([ADD], user_msg="x")
    both = llm.chat_with_tools([ADD], user_msg="x", allow_parallel_tool_calls=True)
    completion = ChatCompletion.model_validate(reply)
    got_single = ChatRequests(llm, tools=[ADD]).response(completion)
    got_both = ChatRequests(llm, tools=[ADD], allow_parallel_tool_calls=True).response(completion)
    assert _dump(got_single) == _dump(single) and _dump(got_both) == _dump(both)
    assert len([b for b in got_single.message.blocks if isinstance(b, ToolCallBlock)]) == 1
    assert len(llm.get_tool_calls_from_response(got_both)) == 2


def test_failed_and_unreadable_items_become_errors_in_their_slots(make_llm: MakeLLM) -> None:
    good = ChatCompletion.model_validate(chat_reply("fine"))
    empty = ChatCompletion.model_validate({**chat_reply("x"), "choices": []})
    items = [
        BatchItemResult(0, "job-0", response=good, status_code=200, batch_id="b1"),
        BatchItemResult(1, "job-1", error="too long", status_code=400, batch_id="b1"),
        BatchItemResult(2, "job-2", response=empty, batch_id="b1"),
        BatchItemResult(3, "job-3", response=CreateEmbeddingResponse(data=[]), batch_id="b1"),
    ]
    outputs = chat_outputs(ChatRequests(make_llm()), BatchResults(items, notes=None))
    assert isinstance(outputs[0], ChatResponse) and outputs[0].message.content == "fine"
    failed = outputs[1]
    assert isinstance(failed, NebiusBatchItemError) and isinstance(failed, ni.NebiusError)
    assert (failed.index, failed.custom_id, failed.status_code, failed.batch_id) == (
        1,
        "job-1",
        400,
        "b1",
    )
    assert str(failed) == "Batch input 1 failed (status 400): too long"
    assert isinstance(outputs[2], NebiusBatchItemError) and "no choices" in outputs[2].reason
    assert isinstance(outputs[3], NebiusBatchItemError)
    assert outputs[3].reason == "its reply could not be read: the reply is not a chat completion"


def test_batch_error_lists_failures_and_keeps_successes() -> None:
    errors = [NebiusBatchItemError(f"why {i}", index=i, custom_id=f"c{i}") for i in range(4)]
    exc = NebiusBatchError(["ok", *errors])
    assert exc.errors == errors and exc.outputs[0] == "ok"
    assert str(exc) == (
        "4 of 5 batch inputs failed: [0] why 0; [1] why 1; [2] why 2; and 1 more. "
        "The successful results are in .outputs."
    )


def test_embedding_bodies_use_the_document_prefix_and_fields(fake: FakeAPI) -> None:
    model = NebiusEmbedding(
        model_name="BAAI/bge-en-icl",
        dimensions=16,
        text_instruction="passage: ",
        additional_kwargs={"user": "u"},
        **fake.clients(),
    )
    bodies = embedding_batch_requests(model, ["a", "b", "c"], texts_per_request=2)
    assert bodies == [
        {"model": "BAAI/bge-en-icl", "input": ["passage: a", "passage: b"], "dimensions": 16,
         "user": "u"},
        {"model": "BAAI/bge-en-icl", "input": ["passage: c"], "dimensions": 16, "user": "u"},
    ]  # fmt: skip


def _vectors(values: list[list[float]]) -> CreateEmbeddingResponse:
    data = [{"index": i, "embedding": v} for i, v in enumerate(values)]
    return CreateEmbeddingResponse.model_validate({"data": data, "model": "m"})


def test_vectors_per_text_in_order_and_failures_per_text() -> None:
    ok = [
        BatchItemResult(0, "c0", response=_vectors([[1.0], [2.0]])),
        BatchItemResult(1, "c1", response=_vectors([[3.0]])),
    ]
    assert vectors_from_results(BatchResults(ok, notes=None), texts_per_request=2, total=3) == [
        [1.0],
        [2.0],
        [3.0],
    ]
    bad = [ok[0], BatchItemResult(1, "c1", error="expired")]
    with pytest.raises(NebiusBatchError, match=r"1 of 3 batch inputs failed: \[1\] expired"):
        vectors_from_results(BatchResults(bad, notes=None), texts_per_request=2, total=3)


def test_a_job_plans_without_sending_and_keeps_the_key_out(
    fake: FakeAPI, make_llm: MakeLLM, tmp_path: Path
) -> None:
    path = tmp_path / "job.json"
    llm = make_llm()
    job = ChatBatchJob(llm, ["a", "b", "c"], max_requests_per_file=2, state_path=path)
    assert fake.requests == []
    assert job.progress.total == 3 and len(job.job.state.parts) == 2
    assert API_KEY not in repr(job) and API_KEY not in path.read_text()
    assert repr(job) == f"ChatBatchJob({llm.model!r}, {job.job!r})"
    assert "job_id=" in repr(job.job) and job.progress == job.job.progress
    assert json.loads(path.read_text())["total"] == 3
    with pytest.raises(ni.InvalidRequestError, match="at least one request"):
        ChatBatchJob(make_llm(), [])
