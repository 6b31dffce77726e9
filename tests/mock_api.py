"""A mock Nebius API for unit tests: answers with a handler, records requests. No sockets."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from nebius_inference import AsyncNebiusClient, NebiusClient

API_KEY = "nb-unit-test-key-0123456789abcdef"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A mock server: answers with ``handler`` and records every request."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.handler(request)

    def body(self, index: int = -1) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.requests[index].content)
        return parsed

    def sync_client(self, **kwargs: Any) -> NebiusClient:
        kwargs.setdefault("api_key", API_KEY)
        return NebiusClient(http_client=httpx.Client(transport=httpx.MockTransport(self)), **kwargs)

    def async_client(self, **kwargs: Any) -> AsyncNebiusClient:
        kwargs.setdefault("api_key", API_KEY)
        return AsyncNebiusClient(
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(self)), **kwargs
        )


def chat_reply(content: str | None = "Hello!", **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        **extra,
    }


def sse(*events: str, done: bool = True, newline: str = "\n") -> bytes:
    parts = [f"data: {event}{newline}{newline}" for event in events]
    if done:
        parts.append(f"data: [DONE]{newline}{newline}")
    return "".join(parts).encode()


def chunk(content: str | None = None, **extra: Any) -> str:
    delta = {} if content is None else {"content": content}
    return json.dumps({"id": "c", "choices": [{"index": 0, "delta": delta}], **extra})


def endpoint_reply(request: httpx.Request) -> httpx.Response:
    """A plausible minimal reply for every endpoint."""
    path = request.url.path
    if path.endswith("/chat/completions"):
        body = json.loads(request.content)
        if body.get("stream"):
            return httpx.Response(200, content=sse(), headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=chat_reply())
    if path.endswith("/completions"):
        if json.loads(request.content).get("stream"):
            return httpx.Response(200, content=sse(), headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json={"id": "c", "choices": [{"index": 0, "text": "x"}]})
    if path.endswith("/embeddings"):
        return httpx.Response(200, json={"data": [{"index": 0, "embedding": [0.5]}]})
    if path.endswith("/images/generations"):
        return httpx.Response(200, json={"data": [{"b64_json": "aGk="}]})
    if path.endswith("/rerank"):
        return httpx.Response(200, json={"results": [{"index": 0, "relevance_score": 0.9}]})
    if path.endswith("/models"):
        return httpx.Response(200, json={"data": [{"id": "m"}]})
    if "/files" in path:
        if path.endswith("/content"):
            return httpx.Response(200, content=b'{"a":1}\n')
        if request.method == "DELETE":
            return httpx.Response(200, json={"id": "file-1", "deleted": True})
        if request.method == "GET" and path.endswith("/files"):
            return httpx.Response(200, json={"data": []})
        return httpx.Response(200, json={"id": "file-1", "purpose": "batch"})
    if "/batches" in path:
        if request.method == "GET" and path.endswith("/batches"):
            return httpx.Response(200, json={"data": [], "has_more": False})
        return httpx.Response(200, json={"id": "batch_1", "status": "validating"})
    return httpx.Response(404, json={"detail": "Not Found"})
