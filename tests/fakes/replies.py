"""Reply builders for the scripted fake: the JSON bodies and SSE streams the Nebius API sends."""

from __future__ import annotations

import base64
import json
from array import array
from typing import Any

import httpx

MODEL = "served-model"


def usage(prompt: int = 7, completion: int = 3) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _usage(value: dict[str, Any] | tuple[int, int] | None) -> dict[str, Any]:
    if value is None:
        return usage()
    return usage(*value) if isinstance(value, tuple) else value


def chat_reply(
    content: str | None = "Hello!",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    reasoning: str | None = None,
    usage: dict[str, Any] | tuple[int, int] | None = None,
    finish_reason: str = "stop",
    logprobs: dict[str, Any] | None = None,
    model: str = MODEL,
    top_level: dict[str, Any] | None = None,
    **message_fields: Any,
) -> dict[str, Any]:
    """A chat completion: ``message_fields`` add to the message, ``top_level`` to the body."""
    body: dict[str, Any] = {"role": "assistant", "content": content, **message_fields}
    if tool_calls is not None:
        body["tool_calls"] = tool_calls
    if reasoning is not None:
        body["reasoning_content"] = reasoning
    choice: dict[str, Any] = {"index": 0, "message": body, "finish_reason": finish_reason}
    if logprobs is not None:
        choice["logprobs"] = logprobs
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "system_fingerprint": "fp-1",
        "choices": [choice],
        "usage": _usage(usage),
        **(top_level or {}),
    }


def tool_call(call_id: str, name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def chunk(
    content: str | None = None,
    *,
    delta: dict[str, Any] | None = None,
    reasoning: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    role: str | None = None,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
    model: str = MODEL,
    **extra: Any,
) -> dict[str, Any]:
    """One ``chat.completion.chunk``: ``delta`` is the whole delta, or build it from the fields."""
    fields = dict(delta or {})
    for key, value in (
        ("role", role),
        ("content", content),
        ("reasoning_content", reasoning),
        ("tool_calls", tool_calls),
    ):
        if value is not None:
            fields[key] = value
    body: dict[str, Any] = {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "delta": fields, "finish_reason": finish_reason}],
        **extra,
    }
    if usage is not None:
        body["usage"] = usage
    return body


def usage_chunk(prompt: int = 7, completion: int = 3, *, model: str = MODEL) -> dict[str, Any]:
    """The last chunk of a stream asked with ``include_usage``: no choices, the token counts."""
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": model,
        "choices": [],
        "usage": usage(prompt, completion),
    }


def sse(*events: dict[str, Any] | str, done: bool = True, newline: str = "\n") -> bytes:
    """A server-sent event stream of ``data:`` events (dicts as JSON), ended by ``[DONE]``."""
    parts = [
        f"data: {e if isinstance(e, str) else json.dumps(e)}{newline}{newline}" for e in events
    ]
    if done:
        parts.append(f"data: [DONE]{newline}{newline}")
    return "".join(parts).encode()


def stream_response(
    *events: dict[str, Any] | str, done: bool = True, status: int = 200, **headers: str
) -> httpx.Response:
    return httpx.Response(
        status,
        content=sse(*events, done=done),
        headers={"content-type": "text/event-stream", **headers},
    )


def completion_reply(text: str = "x", *, model: str = MODEL) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
        "usage": usage(),
    }


def b64_vector(values: list[float]) -> str:
    """A vector as the API sends it with ``encoding_format="base64"``: little-endian float32."""
    return base64.b64encode(array("f", values).tobytes()).decode()


def embeddings_reply(
    vectors: list[list[float]], *, encoding: str = "base64", model: str = MODEL
) -> dict[str, Any]:
    """An embeddings reply, each vector as base64 float32 (``encoding="base64"``) or floats."""
    return {
        "object": "list",
        "model": model,
        "data": [
            {
                "object": "embedding",
                "index": i,
                "embedding": b64_vector(v) if encoding == "base64" else v,
            }
            for i, v in enumerate(vectors)
        ],
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }


def images_reply(*b64_images: str) -> dict[str, Any]:
    return {"created": 1, "data": [{"b64_json": image} for image in b64_images or ("aGk=",)]}


def models_reply(*ids: str) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": i, "object": "model", "owned_by": "x"} for i in ids or (MODEL,)],
    }


def rerank_reply(*scores: float) -> dict[str, Any]:
    return {
        "results": [
            {"index": i, "relevance_score": score} for i, score in enumerate(scores or (0.9,))
        ]
    }


def error_response(status: int, detail: Any = "error", **headers: str) -> httpx.Response:
    """An error as the API sends it: FastAPI's ``{"detail": ...}`` body."""
    return httpx.Response(status, json={"detail": detail}, headers=headers)


def endpoint_reply(request: httpx.Request) -> httpx.Response:
    """A plausible minimal reply for every endpoint."""
    path = request.url.path
    streamed = request.method == "POST" and bool(request.content) and _streamed(request)
    if path.endswith("/chat/completions"):
        if streamed:
            return httpx.Response(200, content=sse(), headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=chat_reply())
    if path.endswith("/completions"):
        if streamed:
            return httpx.Response(200, content=sse(), headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=completion_reply("x"))
    if path.endswith("/embeddings"):
        return httpx.Response(200, json=embeddings_reply([[0.5]], encoding="float"))
    if path.endswith("/images/generations"):
        return httpx.Response(200, json=images_reply("aGk="))
    if path.endswith("/rerank"):
        return httpx.Response(200, json=rerank_reply(0.9))
    if path.endswith("/models"):
        return httpx.Response(200, json=models_reply("m"))
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
    return error_response(404, "Not Found")


def _streamed(request: httpx.Request) -> bool:
    try:
        body = json.loads(request.content)
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("stream"))
