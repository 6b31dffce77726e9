"""A scripted fake Nebius API behind ``httpx.MockTransport``, for the LangChain unit tests.

No sockets: every class under test gets ``http_client``/``http_async_client`` bound to the fake,
which records each request and answers from a queue of scripted replies (or a default one).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

API_KEY = "nb-lc-unit-SECRET-key-0123456789"
BASE_URL = "https://fake.nebius.test/v1"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


def chat_reply(
    content: str | None = "Hello!",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    usage: dict[str, Any] | None = None,
    **message_extra: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, **message_extra}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1,
        "model": "served-model",
        "system_fingerprint": "fp-1",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": usage or {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    }


def sse(*events: dict[str, Any] | str, done: bool = True) -> bytes:
    parts = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    if done:
        parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


def delta_chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "served-model",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish_reason}],
        **extra,
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def usage_chunk(prompt: int = 7, completion: int = 3) -> dict[str, Any]:
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "served-model",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def stream_response(*events: dict[str, Any] | str, done: bool = True, **headers: str) -> Reply:
    return httpx.Response(
        200,
        content=sse(*events, done=done),
        headers={"content-type": "text/event-stream", **headers},
    )


class FakeAPI:
    """Answers requests from a queue of scripted replies; records every request.

    The reply builders are attributes too, so tests need only the ``fake`` fixture."""

    chat_reply = staticmethod(chat_reply)
    sse = staticmethod(sse)
    delta_chunk = staticmethod(delta_chunk)
    usage_chunk = staticmethod(usage_chunk)
    stream_response = staticmethod(stream_response)
    API_KEY = API_KEY

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.replies: list[Reply] = []
        self.default: Reply | None = None

    def queue(self, *replies: Reply | dict[str, Any]) -> None:
        for reply in replies:
            self.replies.append(
                httpx.Response(200, json=reply) if isinstance(reply, dict) else reply
            )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        reply = self.replies.pop(0) if self.replies else self.default
        if reply is None:
            return httpx.Response(200, json=chat_reply())
        if callable(reply):
            return reply(request)
        # A fresh copy: one Response object cannot be sent twice (or to sync and async clients).
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)

    def body(self, index: int = -1) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.requests[index].content)
        return parsed

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def clients(self) -> dict[str, Any]:
        transport = httpx.MockTransport(self)
        return {
            "http_client": httpx.Client(transport=transport),
            "http_async_client": httpx.AsyncClient(transport=transport),
        }

    def kwargs(self) -> dict[str, Any]:
        """Constructor arguments that point any Nebius class at this fake."""
        return {"api_key": API_KEY, "base_url": BASE_URL, "max_retries": 0, **self.clients()}


@pytest.fixture
def fake() -> FakeAPI:
    return FakeAPI()
