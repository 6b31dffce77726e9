"""``json_schema_response_format``: the one ``response_format`` builder both adapters use."""

from __future__ import annotations

from pydantic import BaseModel

from nebius_inference.types import ChatCompletionRequest, json_schema_response_format


class Trip(BaseModel):
    city: str
    days: int


def test_the_name_keeps_only_the_characters_servers_accept() -> None:
    schema = Trip.model_json_schema() | {"title": "My trip: v2 / draft"}
    built = json_schema_response_format(schema, strict=True)
    assert built == {
        "type": "json_schema",
        "json_schema": {"name": "My_trip_v2_draft", "schema": schema, "strict": True},
    }
    assert built["json_schema"]["schema"] is not schema  # a copy: the caller's dict stays theirs


def test_no_title_is_output_and_a_long_one_is_cut() -> None:
    assert json_schema_response_format({}) == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": {}},
    }
    assert json_schema_response_format({"title": "::"})["json_schema"]["name"] == "output"
    long = json_schema_response_format({"title": "x" * 100}, strict=False)["json_schema"]
    assert long["name"] == "x" * 64 and long["strict"] is False


def test_the_request_model_accepts_what_it_builds() -> None:
    request = ChatCompletionRequest.model_validate(
        {
            "model": "m",
            "messages": [{"role": "user", "content": "hi"}],
            "response_format": json_schema_response_format(Trip.model_json_schema()),
        }
    )
    assert request.model_dump(exclude_none=True)["response_format"]["json_schema"]["name"] == "Trip"
