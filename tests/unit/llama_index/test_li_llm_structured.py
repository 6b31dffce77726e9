"""Structured output through guided_json, validated on our side."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fakes import FakeAPI, chat_reply, chunk, stream_response, tool_call, usage_chunk
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import PydanticProgramMode
from pydantic import BaseModel

from llama_index_nebius import NebiusLLM
from llama_index_nebius.llms import StructuredOutputError

MakeLLM = Callable[..., NebiusLLM]
PROMPT = PromptTemplate("Invent a {kind}.")


class Pet(BaseModel):
    """A pet."""

    name: str
    age: int


REX = json.dumps({"name": "Rex", "age": 3})


def _assert_guided(body: dict) -> None:
    # Both fields: older vLLM reads guided_json; vLLM >= 0.12, SGLang and llama.cpp read only
    # response_format.
    schema = Pet.model_json_schema()
    assert body["guided_json"] == schema
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Pet", "schema": schema, "strict": True},
    }
    assert "tool_choice" not in body and "tools" not in body


def test_structured_predict_sends_guided_json_without_tool_choice(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    fake.queue(chat_reply(REX))
    pet = make_llm().structured_predict(
        Pet, PROMPT, llm_kwargs={"tool_choice": "required", "top_k": 3}, kind="dog"
    )
    assert pet == Pet(name="Rex", age=3)
    body = fake.body()
    _assert_guided(body)
    assert body["top_k"] == 3
    system, user = body["messages"]
    assert system["role"] == "system" and "age (integer)" in system["content"]
    # No JSON schema in the prompt: small models copy it back instead of answering.
    assert "{" not in system["content"] and "properties" not in system["content"]
    assert user == {"role": "user", "content": "Invent a dog."}


@pytest.mark.parametrize(
    "own",
    [
        {"response_format": {"type": "json_object"}},
        {"guided_regex": "[a-z]+"},
        {"extra_body": {"guided_json": {"type": "object"}}},
    ],
)
def test_a_constraint_in_llm_kwargs_wins(
    fake: FakeAPI, make_llm: MakeLLM, own: dict[str, Any]
) -> None:
    """The caller's own response_format or guided_* is sent as given, ours are not added."""
    fake.queue(chat_reply(REX))
    make_llm().structured_predict(Pet, PROMPT, llm_kwargs=own, kind="dog")
    body = fake.body()
    sent = {**own, **own.get("extra_body", {})}
    sent.pop("extra_body", None)
    for name in ("response_format", "guided_json", "guided_regex"):
        assert body.get(name) == sent.get(name)


async def test_a_response_format_in_llm_kwargs_wins_in_every_variant(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    own = {"type": "json_schema", "json_schema": {"name": "mine", "schema": {"type": "object"}}}
    llm = make_llm()
    fake.queue(
        chat_reply(REX),
        chat_reply(REX),
        stream_response(*_pet_stream()),
        stream_response(*_pet_stream()),
    )
    llm.structured_predict(Pet, PROMPT, llm_kwargs={"response_format": own}, kind="d")
    await llm.astructured_predict(Pet, PROMPT, llm_kwargs={"response_format": own}, kind="d")
    list(llm.stream_structured_predict(Pet, PROMPT, llm_kwargs={"response_format": own}, kind="d"))
    agen = await llm.astream_structured_predict(
        Pet, PROMPT, llm_kwargs={"response_format": own}, kind="d"
    )
    assert [o async for o in agen][-1] == Pet(name="Rex", age=3)
    assert len(fake.bodies) == 4
    for body in fake.bodies:
        assert body["response_format"] == own and "guided_json" not in body


async def test_astructured_predict(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply("```json\n" + REX + "\n```"))
    pet = await make_llm().astructured_predict(Pet, PROMPT, kind="cat")
    assert pet.name == "Rex"
    _assert_guided(fake.body())


def test_invalid_reply_raises_with_the_raw_text(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply('{"name": "Rex"}'))
    with pytest.raises(StructuredOutputError, match="age") as info:
        make_llm().structured_predict(Pet, PROMPT, kind="dog")
    assert info.value.raw_text == '{"name": "Rex"}'


def test_as_structured_llm(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply(REX))
    sllm = make_llm().as_structured_llm(Pet)
    response = sllm.chat([ChatMessage(role="user", content="Invent a dog.")])
    assert response.raw == Pet(name="Rex", age=3)
    assert json.loads(response.message.content or "") == {"name": "Rex", "age": 3}
    _assert_guided(fake.body())


async def test_as_structured_llm_async(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply(REX))
    response = await make_llm().as_structured_llm(Pet).achat([ChatMessage(content="dog")])
    assert response.raw == Pet(name="Rex", age=3)


def _pet_stream() -> list[dict]:
    pieces = ['{"name": ', '"Rex"', ', "age": 3}']
    return [chunk(content=p) for p in pieces] + [chunk(finish_reason="stop"), usage_chunk(5, 4)]


def test_stream_structured_predict_yields_partials_then_the_object(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    fake.queue(stream_response(*_pet_stream()))
    outputs = list(make_llm().stream_structured_predict(Pet, PROMPT, kind="dog"))
    _assert_guided(fake.body())
    assert fake.body()["stream"] is True
    assert outputs[-1] == Pet(name="Rex", age=3)
    partial = outputs[1]  # '{"name": "Rex"' parses as a partial object, age still missing
    assert not isinstance(partial, Pet)
    assert (partial.name, partial.age) == ("Rex", None)  # type: ignore[attr-defined]


async def test_astream_structured_predict(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(stream_response(*_pet_stream()))
    gen = await make_llm().astream_structured_predict(Pet, PROMPT, kind="dog")
    outputs = [o async for o in gen]
    assert outputs[-1] == Pet(name="Rex", age=3)


def test_stream_structured_predict_fails_loudly_on_bad_json(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    fake.queue(stream_response(chunk(content="not json", finish_reason="stop")))
    with pytest.raises(StructuredOutputError) as info:
        list(make_llm().stream_structured_predict(Pet, PROMPT, kind="dog"))
    assert info.value.raw_text == "not json"


def test_llm_program_mode_sends_no_orphan_tool_choice(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply(REX))
    llm = make_llm(pydantic_program_mode=PydanticProgramMode.LLM)
    assert llm.structured_predict(Pet, PROMPT, kind="dog") == Pet(name="Rex", age=3)
    assert "tool_choice" not in fake.body() and "guided_json" not in fake.body()


def test_function_program_mode_uses_a_real_tool(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(chat_reply(None, tool_calls=[tool_call("c1", "Pet", {"name": "Rex", "age": 3})]))
    llm = make_llm(pydantic_program_mode=PydanticProgramMode.FUNCTION)
    assert llm.structured_predict(Pet, PROMPT, kind="dog") == Pet(name="Rex", age=3)
    body = fake.body()
    assert [t["function"]["name"] for t in body["tools"]] == ["Pet"]
    assert body["tool_choice"] in ("required", {"type": "function", "function": {"name": "Pet"}})


def test_function_program_mode_without_a_tool_call_keeps_the_reply(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    fake.queue(chat_reply("Rex is three."))
    llm = make_llm(pydantic_program_mode=PydanticProgramMode.FUNCTION)
    with pytest.raises(StructuredOutputError, match="no tool call") as info:
        llm.structured_predict(Pet, PROMPT, kind="dog")
    assert info.value.raw_text == "Rex is three."
    assert info.value.output_cls is Pet


async def test_function_program_mode_without_a_tool_call_async(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    fake.queue(chat_reply("Rex is three."))
    llm = make_llm(pydantic_program_mode=PydanticProgramMode.FUNCTION)
    with pytest.raises(StructuredOutputError, match="no tool call") as info:
        await llm.astructured_predict(Pet, PROMPT, kind="dog")
    assert info.value.raw_text == "Rex is three."


def _pet_tool_stream() -> list[dict]:
    first = {"index": 0, "id": "c1", "type": "function", "function": {"name": "Pet"}}
    pieces = ['{"name": ', '"Rex", ', '"age": 3}']
    return [
        chunk(tool_calls=[{**first, "function": {"name": "Pet", "arguments": ""}}]),
        *(chunk(tool_calls=[{"index": 0, "function": {"arguments": p}}]) for p in pieces),
        chunk(finish_reason="tool_calls"),
    ]


def test_function_mode_stream_ends_with_the_validated_object(
    fake: FakeAPI, make_llm: MakeLLM
) -> None:
    fake.queue(stream_response(*_pet_tool_stream()))
    llm = make_llm(pydantic_program_mode=PydanticProgramMode.FUNCTION)
    outputs = list(llm.stream_structured_predict(Pet, PROMPT, kind="dog"))
    assert [t["function"]["name"] for t in fake.body()["tools"]] == ["Pet"]
    assert isinstance(outputs[-1], Pet) and outputs[-1] == Pet(name="Rex", age=3)
    assert not all(isinstance(o, Pet) for o in outputs)  # partials came first


def test_function_mode_stream_without_a_tool_call_raises(fake: FakeAPI, make_llm: MakeLLM) -> None:
    fake.queue(stream_response(chunk(content="Rex is three."), chunk(finish_reason="stop")))
    llm = make_llm(pydantic_program_mode=PydanticProgramMode.FUNCTION)
    with pytest.raises(StructuredOutputError, match="no complete Pet") as info:
        list(llm.stream_structured_predict(Pet, PROMPT, kind="dog"))
    assert info.value.output_cls is Pet


async def test_function_mode_astream_alike(fake: FakeAPI, make_llm: MakeLLM) -> None:
    llm = make_llm(pydantic_program_mode=PydanticProgramMode.FUNCTION)
    fake.queue(stream_response(*_pet_tool_stream()))
    outputs = [o async for o in await llm.astream_structured_predict(Pet, PROMPT, kind="dog")]
    assert outputs[-1] == Pet(name="Rex", age=3) and isinstance(outputs[-1], Pet)
    fake.queue(stream_response(chunk(content="Rex is three."), chunk(finish_reason="stop")))
    with pytest.raises(StructuredOutputError, match="no complete Pet"):
        [o async for o in await llm.astream_structured_predict(Pet, PROMPT, kind="dog")]
