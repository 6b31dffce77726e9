"""A scripted fake of the Nebius API for the LlamaIndex unit tests (httpx.MockTransport: no
sockets). Queue replies, run the code, then read what was sent."""

from __future__ import annotations

import base64
import json
from array import array
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from nebius_inference import AsyncNebiusClient, NebiusClient

API_KEY = "nb-li-unit-key-5f3a9c0d2e"
BASE_URL = "https://fake.nebius.test/v1"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


def chat_json(
    content: str | None = "Hello!",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    reasoning: str | None = None,
    usage: tuple[int, int] = (7, 3),
    finish_reason: str = "stop",
    logprobs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": finish_reason}
    if logprobs is not None:
        choice["logprobs"] = logprobs
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [choice],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        },
    }


def tool_call(call_id: str, name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def chunk(
    *,
    content: str | None = None,
    reasoning: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if role is not None:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def usage_chunk(prompt: int = 5, completion: int = 4) -> dict[str, Any]:
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def sse(events: Iterable[dict[str, Any]], *, done: bool = True) -> httpx.Response:
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
    if done:
        text += "data: [DONE]\n\n"
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=text.encode())


def b64_vector(values: list[float]) -> str:
    return base64.b64encode(array("f", values).tobytes()).decode()


def embeddings_json(vectors: list[list[float]]) -> dict[str, Any]:
    return {
        "object": "list",
        "model": "m",
        "data": [
            {"object": "embedding", "index": i, "embedding": b64_vector(v)}
            for i, v in enumerate(vectors)
        ],
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }


class FakeNebius:
    """Answers requests from a queue (or a default handler) and records them."""

    def __init__(self, default: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.queue: deque[Reply] = deque()
        self.default = default
        self.requests: list[httpx.Request] = []

    def add(self, *replies: Reply | dict[str, Any]) -> FakeNebius:
        for reply in replies:
            self.queue.append(httpx.Response(200, json=reply) if isinstance(reply, dict) else reply)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        reply = self.queue.popleft() if self.queue else self.default
        if reply is None:
            raise AssertionError(f"unexpected request: {request.method} {request.url}")
        return reply if isinstance(reply, httpx.Response) else reply(request)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) if r.content else {} for r in self.requests]

    @property
    def body(self) -> dict[str, Any]:
        return self.bodies[-1]

    def clients(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("base_url", BASE_URL)
        return {
            "client": NebiusClient(
                http_client=httpx.Client(transport=httpx.MockTransport(self)), **kwargs
            ),
            "async_client": AsyncNebiusClient(
                http_client=httpx.AsyncClient(transport=httpx.MockTransport(self)), **kwargs
            ),
        }
