"""The pure pieces of ``langchain_nebius.batch``: request bodies as ``invoke`` sends them,
replies as ``invoke`` returns them, failures in their slots. ``invoke`` runs against the
scripted fake API (``tests/fakes``, on both send routes) to give the reference."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.exceptions import ModelError
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool

import nebius_inference as ni
from langchain_nebius import ChatNebius, NebiusEmbeddings, NebiusInvalidRequestError
from langchain_nebius.batch import (
    ChatBatchJob,
    NebiusBatchError,
    NebiusBatchItemError,
    chat_batch_requests,
    chat_outputs,
    embedding_batch_requests,
    message_from_batch_completion,
    resolve_chat_model,
    vectors_from_results,
)
from nebius_inference.batch import BatchItemResult, BatchJobState, BatchPartState, BatchResults
from nebius_inference.types import ChatCompletion, CreateEmbeddingResponse

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"


@tool
def magic_function(input: int) -> int:
    """Applies a magic function to an input."""
    return input + 2


def make_chat(fake: Any, **kwargs: Any) -> ChatNebius:
    return ChatNebius(**{"model": MODEL, **fake.kwargs(), **kwargs})


def _invoke_body(fake: Any, model: Any, item: Any, **kwargs: Any) -> dict[str, Any]:
    fake.queue(fake.chat_reply())
    model.invoke(item, **kwargs)
    return fake.body()


def _without_ids(message: AIMessage) -> dict[str, Any]:
    dumped = message.model_dump()
    dumped.pop("id")
    dumped["response_metadata"].pop("id", None)
    for call in dumped["tool_calls"]:
        call.pop("id")
    return dumped


# --- which model, which kwargs ------------------------------------------------------------


def test_resolve_plain_bound_and_nested_models(fake: Any) -> None:
    llm = make_chat(fake)
    assert resolve_chat_model(llm) == (llm, {})
    bound = llm.bind_tools([magic_function], tool_choice="magic_function")
    chat, kwargs = resolve_chat_model(bound)
    assert chat is llm
    assert kwargs["tool_choice"] == {"type": "function", "function": {"name": "magic_function"}}
    assert kwargs["tools"][0]["function"]["name"] == "magic_function"
    nested = bound.bind(temperature=0.5).with_config(tags=["x"]).bind(temperature=0.1)
    chat, kwargs = resolve_chat_model(nested)
    assert chat is llm and kwargs["temperature"] == 0.1 and "tools" in kwargs


def test_resolve_rejects_what_is_not_a_chat_model(fake: Any) -> None:
    llm = make_chat(fake)
    with pytest.raises(TypeError, match="needs a ChatNebius"):
        resolve_chat_model(llm.with_structured_output({"type": "object", "properties": {}}))
    with pytest.raises(TypeError, match="RunnableRetry"):
        resolve_chat_model(llm.with_retry())


# --- request bodies -------------------------------------------------------------------------


def test_bodies_are_what_invoke_sends_for_every_input_kind(fake: Any) -> None:
    llm = make_chat(fake, temperature=0.2, max_tokens=9, extra_body={"top_k": 3})
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
    inputs: list[Any] = [
        "plain text",
        [SystemMessage("sys"), HumanMessage("hi")],
        [("human", "as a tuple")],
        prompt.invoke({"q": "templated"}),
    ]
    bodies = chat_batch_requests(llm, inputs)
    assert bodies == [_invoke_body(fake, llm, item) for item in inputs]
    assert bodies[0]["top_k"] == 3 and bodies[0]["max_tokens"] == 9
    assert bodies[3]["messages"][0] == {"role": "system", "content": "Be brief."}


def test_bodies_carry_bound_tools_and_stop_as_invoke_does(fake: Any) -> None:
    llm = make_chat(fake)
    bound = llm.bind_tools([magic_function], tool_choice="required").bind(stop=["END"])
    [body] = chat_batch_requests(bound, ["what is magic_function(3)?"])
    assert body == _invoke_body(fake, bound, "what is magic_function(3)?")
    assert body["tool_choice"] == "required" and body["stop"] == ["END"]
    [overridden] = chat_batch_requests(bound, ["x"], stop=["HALT"])
    assert overridden["stop"] == ["HALT"]
    assert overridden == _invoke_body(fake, bound, "x", stop=["HALT"])
    assert "stream" not in body and "stream_options" not in body


def test_a_single_string_is_not_a_list_of_inputs(fake: Any) -> None:
    with pytest.raises(TypeError, match="list of inputs"):
        chat_batch_requests(make_chat(fake), "one prompt")


def test_constructing_a_job_checks_requests_and_sends_nothing(fake: Any) -> None:
    llm = make_chat(fake)
    job = ChatBatchJob(llm, ["a", "b", "c"], max_requests_per_file=2)
    assert fake.requests == []
    assert len(job.job.state.parts) == 2 and job.progress.total == 3
    assert fake.API_KEY not in repr(job)
    assert repr(job) == f"ChatBatchJob({llm.model_name!r}, {job.job!r})"
    with pytest.raises(NebiusInvalidRequestError, match="at least one request"):
        ChatBatchJob(llm, [])


def test_embedding_bodies_carry_dimensions_and_model_kwargs(fake: Any) -> None:
    emb = NebiusEmbeddings(
        model="BAAI/bge-en-icl", dimensions=8, model_kwargs={"user": "u"}, **fake.kwargs()
    )
    bodies = embedding_batch_requests(emb, ["a", "b", "c"], texts_per_request=2)
    assert bodies == [
        {"model": "BAAI/bge-en-icl", "input": ["a", "b"], "user": "u", "dimensions": 8},
        {"model": "BAAI/bge-en-icl", "input": ["c"], "user": "u", "dimensions": 8},
    ]


# --- replies --------------------------------------------------------------------------------


def _completion(fake: Any, **kwargs: Any) -> ChatCompletion:
    return ChatCompletion.model_validate(fake.chat_reply(**kwargs))


@pytest.mark.parametrize(
    "reply",
    [
        {"content": "plain"},
        {"content": "4", "reasoning_content": "2 plus 2"},
        {
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "magic_function", "arguments": '{"input": 3}'},
                },
                {"id": "c2", "type": "function", "function": {"name": "f", "arguments": "{oops"}},
            ],
        },
    ],
    ids=["text", "reasoning", "tool-calls"],
)
def test_messages_equal_what_invoke_returns(fake: Any, reply: dict[str, Any]) -> None:
    llm = make_chat(fake)
    fake.queue(fake.chat_reply(**reply))
    expected = llm.invoke("hi")
    got = message_from_batch_completion(
        llm, _completion(fake, **reply), model=MODEL, message_id="lc_run-job-1-0"
    )
    assert _without_ids(got) == _without_ids(expected)
    assert got.id == "lc_run-job-1-0"


def test_messages_with_logprobs_and_several_choices_match_invoke(fake: Any) -> None:
    reply = fake.chat_reply("first")
    reply["choices"][0]["logprobs"] = {"content": [{"token": "first", "logprob": -0.1}]}
    reply["choices"].append(
        {"index": 1, "message": {"role": "assistant", "content": "second"}, "finish_reason": "stop"}
    )
    llm = make_chat(fake, n=2)
    fake.queue(reply)
    expected = llm.invoke("hi")
    got = message_from_batch_completion(llm, ChatCompletion.model_validate(reply), model=MODEL)
    assert _without_ids(got) == _without_ids(expected)
    assert got.content == "first" and "logprobs" in got.response_metadata


def test_output_version_v1_gives_content_blocks_as_invoke_does(fake: Any) -> None:
    llm = make_chat(fake, output_version="v1")
    fake.queue(fake.chat_reply("4", reasoning_content="2 plus 2"))
    expected = llm.invoke("hi")
    completion = _completion(fake, content="4", reasoning_content="2 plus 2")
    got = message_from_batch_completion(llm, completion, model=MODEL)
    assert _without_ids(got) == _without_ids(expected)
    assert [block["type"] for block in got.content] == ["reasoning", "text"]  # type: ignore[index]


def test_requested_model_names_a_reply_without_one(fake: Any) -> None:
    completion = _completion(fake, content="x")
    completion.model = ""
    got = message_from_batch_completion(make_chat(fake), completion, model="wanted/model")
    assert got.response_metadata["model_name"] == "wanted/model"


def test_a_reply_without_choices_is_an_error(fake: Any) -> None:
    completion = _completion(fake, content="x")
    completion.choices = []
    with pytest.raises(ni.APIResponseValidationError, match="without any choices"):
        message_from_batch_completion(make_chat(fake), completion, model=MODEL)


# --- failures in their slots ----------------------------------------------------------------


def _state(total: int, model: str = MODEL) -> BatchJobState:
    return BatchJobState(
        job_id="job-1",
        endpoint="/v1/chat/completions",
        total=total,
        custom_id_prefix="job-1-",
        max_requests_per_file=10,
        max_bytes_per_file=10_000,
        parts=[
            BatchPartState(model=model, index_runs=[(0, total)], request_count=total, byte_count=1)
        ],
    )


def test_failed_and_unreadable_items_become_errors_in_their_slots(fake: Any) -> None:
    good = _completion(fake, content="fine")
    empty = _completion(fake, content="x")
    empty.choices = []
    items = [
        BatchItemResult(0, "job-1-0", response=good, status_code=200, batch_id="b1"),
        BatchItemResult(1, "job-1-1", error="context too long", status_code=400, batch_id="b1"),
        BatchItemResult(2, "job-1-2", response=empty, batch_id="b1"),
        BatchItemResult(3, "job-1-3", response=CreateEmbeddingResponse(data=[]), batch_id="b1"),
    ]
    outputs = chat_outputs(make_chat(fake), _state(4), BatchResults(items, notes=None))
    assert isinstance(outputs[0], AIMessage) and outputs[0].content == "fine"
    assert outputs[0].id == "lc_run-job-1-0"
    first = outputs[1]
    assert isinstance(first, NebiusBatchItemError)
    assert (first.index, first.custom_id, first.status_code, first.batch_id) == (
        1,
        "job-1-1",
        400,
        "b1",
    )
    assert str(first) == "Batch input 1 failed (status 400): context too long"
    assert isinstance(first, ModelError) and isinstance(first, ni.NebiusError)
    assert isinstance(outputs[2], NebiusBatchItemError) and "without any choices" in str(outputs[2])
    assert isinstance(outputs[3], NebiusBatchItemError) and "not a chat completion" in str(
        outputs[3]
    )


def test_batch_error_names_the_failures_and_keeps_the_successes() -> None:
    errors = [NebiusBatchItemError(f"reason {i}", index=i, custom_id=f"c{i}") for i in range(5)]
    outputs: list[Any] = ["ok-0", errors[0], errors[1], "ok-3", errors[2], errors[3], errors[4]]
    exc = NebiusBatchError(outputs)
    assert exc.outputs == outputs and exc.errors == errors
    assert str(exc).startswith("5 of 7 batch inputs failed: [0] reason 0; [1] reason 1; [2] ")
    assert "and 2 more" in str(exc)
    assert isinstance(exc, ModelError)


def _embedding(vectors: list[list[float]]) -> CreateEmbeddingResponse:
    return CreateEmbeddingResponse.model_validate(
        {"data": [{"index": i, "embedding": v} for i, v in enumerate(vectors)], "model": "m"}
    )


def test_vectors_come_back_per_text_in_order() -> None:
    items = [
        BatchItemResult(0, "c0", response=_embedding([[1.0], [2.0]])),
        BatchItemResult(1, "c1", response=_embedding([[3.0]])),
    ]
    results = BatchResults(items, notes=None)
    assert vectors_from_results(results, texts_per_request=2, total=3) == [[1.0], [2.0], [3.0]]


def test_a_failed_embedding_request_fails_each_of_its_texts() -> None:
    items = [
        BatchItemResult(0, "c0", response=_embedding([[1.0], [2.0]])),
        BatchItemResult(1, "c1", error="batch b failed"),
        BatchItemResult(2, "c2", response=_embedding([[5.0]])),  # one vector for two texts
    ]
    with pytest.raises(NebiusBatchError) as caught:
        vectors_from_results(BatchResults(items, notes=None), texts_per_request=2, total=6)
    outputs = caught.value.outputs
    assert outputs[:2] == [[1.0], [2.0]]
    assert outputs[2] is outputs[3] and outputs[2].reason == "batch b failed"
    assert "1 vectors for 2 texts" in outputs[4].reason and outputs[4] is outputs[5]
    assert len(caught.value.errors) == 2
    assert str(caught.value).startswith("4 of 6 batch inputs failed: [1] batch b failed")


def test_job_state_file_never_holds_the_key(fake: Any, tmp_path: Any) -> None:
    path = tmp_path / "job.json"
    ChatBatchJob(make_chat(fake), ["a"], state_path=path)
    saved = json.loads(path.read_text())
    assert saved["total"] == 1 and fake.API_KEY not in path.read_text()
    assert fake.requests == []
