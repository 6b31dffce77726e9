"""Error replies as real backends word them: context overflow in every known form, 402, a
``Retry-After`` longer than the client waits, and a base URL that lacks ``/v1``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fakes import FakeAPI, Handler

import nebius_inference as ni
from nebius_inference import _retry

MESSAGES = [{"role": "user", "content": "hi"}]


def _fixed(status: int, body: Any, headers: dict[str, str] | None = None) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(body, (dict, list)):
            return httpx.Response(status, json=body, headers=headers)
        return httpx.Response(status, text=str(body), headers=headers)

    return handle


# Bodies as each server sends them when the prompt does not fit.
OVERFLOW_BODIES: list[tuple[str, int, Any]] = [
    (
        "vLLM (object error)",
        400,
        {
            "object": "error",
            "message": "This model's maximum context length is 4096 tokens. However, you "
            "requested 5023 tokens (4023 in the messages, 1000 in the completion). Please "
            "reduce the length of the messages or completion.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
    ),
    (
        "vLLM >= 0.10",
        400,
        {
            "error": {
                "message": "'max_tokens' or 'max_completion_tokens' is too large: 1000. This "
                "model's maximum context length is 4096 tokens and your request has 3500 input "
                "tokens (1000 > 4096 - 3500). None",
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            }
        },
    ),
    (
        "vLLM decoder prompt",
        400,
        {
            "error": {
                "message": "The decoder prompt (length 5000) is longer than the maximum model "
                "length of 4096. Make sure that `max_model_len` is no smaller than the number "
                "of text tokens.",
                "type": "BadRequestError",
                "code": 400,
            }
        },
    ),
    (
        "SGLang requested token count",
        400,
        {
            "object": "error",
            "message": "Requested token count exceeds the model's maximum context length of "
            "4096 tokens. You requested a total of 5000 tokens: 4000 tokens from the input "
            "messages and 1000 tokens for the completion.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
    ),
    (
        "SGLang input length",
        400,
        {
            "object": "error",
            "message": "Input length (5000 tokens) exceeds the maximum allowed length (4096 "
            "tokens). Use a shorter input or enable --allow-auto-truncate.",
            "type": "BadRequestError",
            "code": 400,
        },
    ),
    (
        "llama.cpp",
        400,
        {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 5000,
                "n_ctx": 4096,
            }
        },
    ),
    (
        "llama.cpp (as the server built from llama-cpp-python 0.3.36 sends it)",
        400,
        {
            "error": {
                "code": 400,
                "message": "request (931 tokens) exceeds the available context size (512 "
                "tokens), try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 931,
                "n_ctx": 512,
            }
        },
    ),
    (
        "llama.cpp, read by its type alone",
        400,
        {
            "error": {
                "code": 400,
                "message": "prompt has 5000 tokens",
                "type": "exceed_context_size_error",
            }
        },
    ),
    (
        "TGI inputs + max_new_tokens",
        422,
        {
            "error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= "
            "4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`",
            "error_type": "validation",
        },
    ),
    (
        "TGI inputs",
        422,
        {
            "error": "Input validation error: `inputs` must have less than 4096 tokens. "
            "Given: 5000",
            "error_type": "validation",
        },
    ),
    (
        "OpenAI style, read by its code alone",
        400,
        {
            "error": {
                "message": "Your input is too big.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        },
    ),
    ("FastAPI detail", 400, {"detail": "Prompt is too long for the context window"}),
]


@pytest.mark.parametrize(
    ("status", "body"), [case[1:] for case in OVERFLOW_BODIES], ids=[c[0] for c in OVERFLOW_BODIES]
)
def test_every_known_overflow_wording_is_a_context_length_error(
    recorder: Callable[[Handler], FakeAPI], status: int, body: Any
) -> None:
    client = recorder(_fixed(status, body)).sync_client(max_retries=0)
    with pytest.raises(ni.ContextLengthExceededError, match="Shorten the prompt") as info:
        client.create_chat_completion(model="m", messages=MESSAGES)
    assert info.value.status_code == status and info.value.body == body


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, {"error": {"message": "temperature must be <= 2", "type": "BadRequestError"}},
         ni.BadRequestError),
        (422, {"error": "Input validation error: `temperature` must be strictly positive",
               "error_type": "validation"}, ni.UnprocessableEntityError),
        (400, {"error": {"message": "invalid grammar", "type": "invalid_request_error"}},
         ni.BadRequestError),
    ],
)  # fmt: skip
def test_other_validation_errors_are_not_overflows(
    recorder: Callable[[Handler], FakeAPI], status: int, body: Any, cls: type[Exception]
) -> None:
    client = recorder(_fixed(status, body)).sync_client(max_retries=0)
    with pytest.raises(cls) as info:
        client.create_chat_completion(model="m", messages=MESSAGES)
    assert type(info.value) is cls


def test_402_is_its_own_error_with_a_hint_and_is_not_retried(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    server = recorder(_fixed(402, {"detail": "Insufficient balance"}))
    with pytest.raises(ni.PaymentRequiredError, match=r"Insufficient balance.*top it up") as info:
        server.sync_client(max_retries=3).create_chat_completion(model="m", messages=MESSAGES)
    assert info.value.status_code == 402 and isinstance(info.value, ni.APIStatusError)
    assert len(server.requests) == 1


@pytest.mark.parametrize("header", [{"Retry-After": "3600"}, {"retry-after-ms": "3600000"}])
def test_a_retry_after_beyond_the_cap_raises_at_once_with_the_wait(
    recorder: Callable[[Handler], FakeAPI], header: dict[str, str]
) -> None:
    server = recorder(_fixed(429, {"detail": "Rate limit exceeded"}, headers=header))
    with pytest.raises(ni.RateLimitError, match="wait 3600 s") as info:
        server.sync_client(max_retries=5).create_chat_completion(model="m", messages=MESSAGES)
    assert info.value.retry_after == 3600.0
    assert len(server.requests) == 1 and _retry.recorded_sleeps() == []


async def test_async_a_retry_after_beyond_the_cap_raises_at_once(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    server = recorder(_fixed(503, {"detail": "busy"}, headers={"Retry-After": "900"}))
    async with server.async_client(max_retries=5) as client:
        with pytest.raises(ni.InternalServerError, match="wait 900 s") as info:
            await client.create_chat_completion(model="m", messages=MESSAGES)
    assert info.value.retry_after == 900.0 and len(server.requests) == 1


def test_a_retry_after_within_the_cap_is_still_waited_and_kept_on_the_last_error(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    server = recorder(_fixed(429, {"detail": "slow down"}, headers={"Retry-After": "7"}))
    with pytest.raises(ni.RateLimitError) as info:
        server.sync_client(max_retries=2).create_chat_completion(model="m", messages=MESSAGES)
    assert len(server.requests) == 3 and _retry.recorded_sleeps() == [7.0, 7.0]
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize(
    ("base_url", "missing"),
    [
        ("https://api.tokenfactory.nebius.com", True),
        ("https://gateway.example/openai", True),
        ("https://api.tokenfactory.nebius.com/v1", False),
        ("https://gateway.example/api/v2", False),
    ],
)
def test_a_404_says_when_the_base_url_lacks_v1(
    recorder: Callable[[Handler], FakeAPI], base_url: str, missing: bool
) -> None:
    client = recorder(_fixed(404, {"detail": "Not Found"})).sync_client(base_url=base_url)
    with pytest.raises(ni.NotFoundError) as info:
        client.create_chat_completion(model="m", messages=MESSAGES)
    assert ("lack its /v1 path segment" in str(info.value)) is missing
    assert ("Check the model id" in str(info.value)) is not missing
