"""Reading replies: the live API's extra fields, and both error body shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fakes import FakeAPI, Handler, chat_reply

import nebius_inference as ni
from nebius_inference.types import Batch, BatchOutputLine, ModelList

MESSAGES = [{"role": "user", "content": "Hi"}]


def _fixed(status: int, body: Any = None, **kwargs: Any) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, (bytes, str)):
            return httpx.Response(status, content=body, **kwargs)
        return httpx.Response(status, json=body, **kwargs)

    return handler


def test_live_api_extra_fields_are_kept(recorder: Callable[[Handler], FakeAPI]) -> None:
    reply = chat_reply(
        content=None,
        top_level={
            "id": "9f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5",
            "moderation": None,
            "metadata": {"weight_version": "v3"},
            "kv_transfer_params": None,
            "prompt_logprobs": None,
        },
    )
    choice = reply["choices"][0]
    choice["message"].update(reasoning="thinking...", refusal=None, annotations=None, audio=None)
    choice["matched_stop"] = 151336
    choice["stop_reason"] = 151336
    choice["token_ids"] = None
    reply["usage"]["reasoning_tokens"] = 12
    server = recorder(_fixed(200, reply))
    result = server.sync_client().create_chat_completion(model="m", messages=MESSAGES)
    assert result.id == "9f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5"
    assert result.choices[0].message.content is None
    assert result.choices[0].message.reasoning_text == "thinking..."
    assert result.choices[0].stop_reason == 151336
    assert result.choices[0].model_extra == {"matched_stop": 151336, "token_ids": None}
    assert result.model_extra is not None and result.model_extra["metadata"] == {
        "weight_version": "v3"
    }
    assert result.usage is not None and result.usage.reasoning == 12


def test_reasoning_content_and_usage_details(recorder: Callable[[Handler], FakeAPI]) -> None:
    reply = chat_reply()
    reply["choices"][0]["message"]["reasoning_content"] = "r1"
    reply["usage"]["completion_tokens_details"] = {"reasoning_tokens": 4}
    reply["usage"]["prompt_tokens_details"] = {"cached_tokens": 2}
    server = recorder(_fixed(200, reply, headers={"x-ratelimit-remaining-requests": "59"}))
    result = server.sync_client().create_chat_completion(model="m", messages=MESSAGES)
    assert result.choices[0].message.reasoning_text == "r1"
    assert result.usage is not None
    assert (result.usage.reasoning, result.usage.cached_prompt_tokens) == (4, 2)
    assert result.response_headers["x-ratelimit-remaining-requests"] == "59"


def test_verbose_models_and_batches_parse() -> None:
    models = ModelList.model_validate(
        {
            "data": [
                {
                    "id": "Qwen/Qwen3-235B-A22B-Thinking-2507",
                    "context_length": 262144,
                    "pricing": {"prompt": "0.0000002"},
                    "supported_features": ["tools"],
                    "reasoning": True,
                    "regions": ["eu-north1"],
                }
            ]
        }
    )
    model = models.get("Qwen/Qwen3-235B-A22B-Thinking-2507")
    assert model is not None and model.context_length == 262144
    assert model.supports("tools") and model.supports("reasoning") and not model.supports("vision")
    for status, state in [
        ("running", "running"),
        ("done", "completed"),
        ("in_progress", "running"),
    ]:
        batch = Batch.model_validate({"id": "b", "status": status})
        assert batch.state == state
    assert Batch.model_validate({"id": "b", "status": "done"}).is_terminal
    assert not Batch.model_validate({"id": "b", "status": "validating"}).is_terminal


def test_batch_output_lines_in_both_shapes() -> None:
    body = chat_reply()
    nebius = BatchOutputLine.model_validate(
        {"id": "batch_req_1", "custom_id": "a", "response": body, "error": None}
    ).outcome()
    openai = BatchOutputLine.model_validate(
        {
            "id": "batch_req_2",
            "custom_id": "b",
            "response": {"status_code": 200, "request_id": "r", "body": body},
            "error": None,
        }
    ).outcome()
    failed = BatchOutputLine.model_validate(
        {
            "custom_id": "c",
            "response": {"status_code": 400, "body": {"error": {"message": "bad model"}}},
        }
    ).outcome()
    errored = BatchOutputLine.model_validate(
        {"custom_id": "d", "response": None, "error": {"message": "timeout", "code": "x"}}
    ).outcome()
    assert nebius.body == body and nebius.error is None
    assert openai.body == body and openai.status_code == 200
    assert failed.body is None and failed.error == "bad model" and failed.status_code == 400
    assert errored.error == "timeout (code: x)"


@pytest.mark.parametrize(
    ("status", "body", "cls", "fragment"),
    [
        (400, {"detail": "Bad thing"}, ni.BadRequestError, "Bad thing"),
        (401, {"detail": "Invalid API key"}, ni.AuthenticationError, "NEBIUS_API_KEY"),
        (
            403,
            {"error": {"message": "forbidden", "code": "x"}},
            ni.PermissionDeniedError,
            "forbidden",
        ),
        (404, {"detail": "Model foo not found"}, ni.NotFoundError, "case-sensitive"),
        (409, {"detail": "conflict"}, ni.ConflictError, "conflict"),
        (413, {"detail": "too big"}, ni.RequestTooLargeError, "too big"),
        (
            422,
            {"detail": [{"loc": ["body", "messages"], "msg": "field required", "type": "missing"}]},
            ni.UnprocessableEntityError,
            "messages: field required",
        ),
        (
            429,
            {"error": {"message": "Rate limit", "type": "rate"}},
            ni.RateLimitError,
            "Rate limit",
        ),
        (500, "upstream exploded", ni.InternalServerError, "upstream exploded"),
        (503, {"detail": "overloaded"}, ni.InternalServerError, "overloaded"),
        (
            400,
            {"error": {"message": "This model's maximum context length is 8192 tokens"}},
            ni.ContextLengthExceededError,
            "maximum context length",
        ),
        (418, {"detail": "teapot"}, ni.APIStatusError, "teapot"),
    ],
)
def test_error_bodies_map_to_classes(
    recorder: Callable[[Handler], FakeAPI],
    status: int,
    body: Any,
    cls: type[ni.APIStatusError],
    fragment: str,
) -> None:
    server = recorder(_fixed(status, body))
    client = server.sync_client(max_retries=0)
    with pytest.raises(cls, match=fragment) as info:
        client.create_chat_completion(model="m", messages=MESSAGES)
    assert type(info.value) is cls
    assert info.value.status_code == status
    assert info.value.body == body or isinstance(body, str)


def test_malformed_body_is_a_validation_error(recorder: Callable[[Handler], FakeAPI]) -> None:
    server = recorder(_fixed(200, b"{not json", headers={"content-type": "application/json"}))
    with pytest.raises(ni.APIResponseValidationError, match="ChatCompletion"):
        server.sync_client().create_chat_completion(model="m", messages=MESSAGES)
    server = recorder(_fixed(200, b'{"data": [{"index": 0, "embedding": 5}]}'))
    with pytest.raises(ni.APIResponseValidationError, match="embeddings"):
        server.sync_client().create_embeddings(model="e", input=["a"])
