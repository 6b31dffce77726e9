"""Bad input is refused before anything is sent, naming the field: a per-call ``timeout`` that is
not a positive number, message content that is not text, a JSON schema that is not a schema,
``NaN``/infinity anywhere; and a field name one typo from a known one gets one warning."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fakes import FakeAPI, Handler, chat_reply
from pydantic import BaseModel

import nebius_inference as ni
from nebius_inference import _checks

MESSAGES = [{"role": "user", "content": "hi"}]


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=chat_reply())


@pytest.fixture
def server(recorder: Callable[[Handler], FakeAPI]) -> FakeAPI:
    return recorder(_ok)


@pytest.fixture(autouse=True)
def _fresh_warnings() -> Iterator[None]:
    _checks._warned.clear()
    yield
    _checks._warned.clear()


def _refused(server: FakeAPI, match: str, **params: Any) -> ni.InvalidRequestError:
    client = server.sync_client()
    with pytest.raises(ni.InvalidRequestError, match=match) as info:
        client.create_chat_completion(**{"model": "m", "messages": MESSAGES, **params})
    assert server.requests == [], "nothing may be sent"
    return info.value


@pytest.mark.parametrize("value", [-1, 0, -0.5, math.nan, math.inf, "soon", True])
def test_a_bad_per_call_timeout_names_timeout(server: FakeAPI, value: Any) -> None:
    _refused(server, "timeout must be a positive number of seconds", timeout=value)


async def test_async_bad_timeout_is_refused_too(server: FakeAPI) -> None:
    async with server.async_client() as client:
        with pytest.raises(ni.InvalidRequestError, match="timeout"):
            await client.list_models(timeout=-1)
    assert server.requests == []


def test_a_good_per_call_timeout_still_applies(server: FakeAPI) -> None:
    server.sync_client().create_chat_completion(model="m", messages=MESSAGES, timeout=7)
    assert server.requests[0].extensions["timeout"]["read"] == 7.0


@pytest.mark.parametrize("content", [42, 3.5, {"text": "hi"}, True])
def test_message_content_must_be_text_or_parts(server: FakeAPI, content: Any) -> None:
    error = _refused(
        server,
        r"messages\[1\]\.content is",
        messages=[*MESSAGES, {"role": "user", "content": content}],
    )
    assert "list of content parts" in str(error)


def test_content_parts_and_assistant_without_content_pass(server: FakeAPI) -> None:
    parts = [{"type": "text", "text": "hi"}]
    messages = [
        {"role": "user", "content": parts},
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "user", "content": "more"},
    ]
    server.sync_client().create_chat_completion(model="m", messages=messages)
    assert server.body()["messages"][0]["content"] == parts


BROKEN_SCHEMAS: list[tuple[Any, str]] = [
    ({"type": "objekt"}, r"\.type is 'objekt'"),
    ({"type": "object", "properties": {"a": {"type": "strin"}}}, r"properties\.a\.type"),
    ({"type": "object", "properties": ["a"]}, r"\.properties is list"),
    ({"type": "object", "required": "a"}, r"\.required is 'a'"),
    ({"type": "array", "items": "string"}, r"\.items is str"),
    ({"anyOf": []}, r"\.anyOf must be a non-empty list"),
    ({"type": "string", "minLength": -1}, r"\.minLength is -1"),
    ({"enum": "abc"}, r"\.enum is str"),
    ("not a schema", r"is str, not a JSON schema object"),
]


@pytest.mark.parametrize(("schema", "match"), BROKEN_SCHEMAS)
def test_a_broken_json_schema_in_response_format_is_refused(
    server: FakeAPI, schema: Any, match: str
) -> None:
    response_format = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    error = _refused(server, match, response_format=response_format)
    assert "response_format.json_schema.schema" in str(error)


@pytest.mark.parametrize(("schema", "match"), BROKEN_SCHEMAS)
def test_a_broken_guided_json_is_refused(server: FakeAPI, schema: Any, match: str) -> None:
    if isinstance(schema, str):
        match = "guided_json is a string that is not valid JSON"
    error = _refused(server, match, guided_json=schema)
    assert "guided_json" in str(error)


def test_a_broken_tool_parameters_schema_is_refused(server: FakeAPI) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "dict"}}}
    _refused(server, r"tools\[0\]\.function\.parameters\.type is 'dict'", tools=[tool])


def test_json_schema_format_needs_its_object(server: FakeAPI) -> None:
    _refused(server, "response_format.json_schema must be an object",
             response_format={"type": "json_schema", "json_schema": "City"})  # fmt: skip


class Address(BaseModel):
    street: str
    zip: str | None = None


class Person(BaseModel):
    name: str
    age: int
    tags: list[str] = []
    home: Address | None = None


def test_real_schemas_pass_in_every_form(server: FakeAPI) -> None:
    schema = Person.model_json_schema()  # $defs, $ref, anyOf, defaults
    client = server.sync_client()
    client.create_chat_completion(model="m", messages=MESSAGES, guided_json=schema)
    client.create_chat_completion(model="m", messages=MESSAGES, guided_json=json.dumps(schema))
    client.create_chat_completion(
        model="m",
        messages=MESSAGES,
        response_format={"type": "json_schema", "json_schema": {"name": "P", "schema": schema}},
    )
    client.create_chat_completion(
        model="m", messages=MESSAGES, response_format={"type": "json_object"}
    )
    assert len(server.requests) == 4 and server.body(0)["guided_json"] == schema


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"temperature": math.nan}, "temperature"),
        ({"top_p": math.inf}, "top_p"),
        ({"repetition_penalty": math.nan}, "repetition_penalty"),
        ({"chat_template_kwargs": {"x": [1, -math.inf]}}, r"chat_template_kwargs\.x\[1\]"),
        ({"chat_template_kwargs": {"a.b[0]": math.nan}}, r"chat_template_kwargs\.a\.b\[0\] is nan"),
        ({"extra_body": {"min_p": math.nan}}, "min_p"),
        ({"logit_bias": {"42": math.nan}}, "logit_bias"),
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": {
                "type": "object", "properties": {"x": {"type": "number", "default": math.nan}}}}}]},
            r"tools\[0\]\.function\.parameters\.properties\.x\.default",
        ),
        (
            {"messages": [{"role": "user", "content": [
                {"type": "text", "text": "x", "weight": math.inf}]}]},
            r"messages\[0\]\.content\[0\]\.weight",
        ),
    ],
)  # fmt: skip
def test_nan_and_infinity_are_refused_naming_the_field(
    server: FakeAPI, params: dict[str, Any], field: str
) -> None:
    error = _refused(server, field, **params)
    assert "finite" in str(error)


def test_a_typo_of_a_known_field_warns_once_and_is_still_sent(server: FakeAPI) -> None:
    client = server.sync_client()
    with pytest.warns(UserWarning, match="did you mean `temperature`") as caught:
        client.create_chat_completion(model="m", messages=MESSAGES, temprature=0.5)
    assert caught[0].filename == __file__  # points at the caller, not at our code
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.create_chat_completion(model="m", messages=MESSAGES, temprature=0.5)
    assert [server.body(i)["temprature"] for i in range(2)] == [0.5, 0.5]
    with pytest.warns(UserWarning, match="did you mean `max_tokens`"):
        client.create_chat_completion(model="m", messages=MESSAGES, max_tokns=5)
    with pytest.warns(UserWarning, match="did you mean `guided_json`"):
        client.create_chat_completion(model="m", messages=MESSAGES, guided_jsn={"type": "object"})


def test_backend_fields_and_unrelated_names_pass_without_a_word(server: FakeAPI) -> None:
    fields = {"top_k": 5, "min_p": 0.1, "repetition_penalty": 1.1, "my_gateway_tag": "x", "k": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        server.sync_client().create_chat_completion(model="m", messages=MESSAGES, **fields)
    assert {k: server.body()[k] for k in fields} == fields


def test_chat_nebius_invoke_warns_about_a_typo_and_sends_it(server: FakeAPI) -> None:
    pytest.importorskip("langchain_core", reason="the langchain extra is not installed")
    from langchain_nebius import ChatNebius

    chat = ChatNebius(
        api_key="nb-k", model="m", http_client=httpx.Client(transport=httpx.MockTransport(server))
    )
    with pytest.warns(UserWarning, match="did you mean `temperature`"):
        chat.invoke("hi", temprature=0.5)
    assert server.body()["temprature"] == 0.5


def test_with_structured_output_and_a_broken_schema_fails_before_sending(server: FakeAPI) -> None:
    pytest.importorskip("langchain_core", reason="the langchain extra is not installed")
    from langchain_core.exceptions import ModelInvalidRequestError

    from langchain_nebius import ChatNebius

    chat = ChatNebius(
        api_key="nb-k", model="m", http_client=httpx.Client(transport=httpx.MockTransport(server))
    )
    broken = {"title": "City", "type": "object", "properties": {"name": {"type": "strng"}}}
    for method in ("guided_json", "json_schema", "function_calling"):
        with pytest.raises(ModelInvalidRequestError, match=r"properties\.name\.type"):
            chat.with_structured_output(broken, method=method).invoke("Paris")  # type: ignore[arg-type]
    assert server.requests == []
