"""Replies as the servers behind OpenAI-compatible APIs send them (vLLM, SGLang, TGI, llama.cpp),
each read by the client without error, with the lenient readings checked: ``null`` counts, ``null``
``top_logprobs``, a tool call without an id, content as a list of parts, tool arguments as an
object, a rerank document as plain text, ``null`` batch counters and ``has_more``, and the extra
top-level fields of an embeddings reply kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fakes import FakeAPI, Handler

import nebius_inference as ni
from nebius_inference.types import (
    Batch,
    BatchList,
    ChatCompletion,
    ChatCompletionChunk,
    Completion,
    CreateEmbeddingResponse,
    ModelList,
    RerankResponse,
)

MSG = [{"role": "user", "content": "hi"}]
USAGE = {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}

CHAT: list[tuple[str, dict[str, Any]]] = [
    ("vLLM", {
        "id": "chatcmpl-8f2", "object": "chat.completion", "created": 1733000000,
        "model": "Qwen/Qwen2.5-0.5B-Instruct",
        "choices": [{"index": 0, "message": {"role": "assistant", "reasoning_content": None,
                     "content": "Hello!", "tool_calls": []},
                     "logprobs": None, "finish_reason": "stop", "stop_reason": None}],
        "usage": {**USAGE, "prompt_tokens_details": None},
        "prompt_logprobs": None, "kv_transfer_params": None,
    }),
    ("vLLM tool call", {
        "id": "chatcmpl-9a1", "object": "chat.completion", "created": 1733000000, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "chatcmpl-tool-4c1", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            "logprobs": None, "finish_reason": "tool_calls", "stop_reason": None}],
        "usage": USAGE,
    }),
    ("vLLM logprobs", {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"},
                     "logprobs": {"content": [{"token": "Hi", "logprob": -0.1,
                                               "bytes": [72, 105], "top_logprobs": []}]},
                     "finish_reason": "stop"}],
        "usage": USAGE,
    }),
    ("SGLang", {
        "id": "5b3c", "object": "chat.completion", "created": 1733000000, "model": "default",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi",
                     "reasoning_content": None, "tool_calls": None},
                     "logprobs": None, "finish_reason": "stop", "matched_stop": 128009}],
        "usage": {**USAGE, "prompt_tokens_details": None},
    }),
    ("SGLang tool call with index", {
        "id": "5b3d", "object": "chat.completion", "created": 1, "model": "default",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_0b8f", "index": 0, "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            "finish_reason": "tool_calls", "matched_stop": None}],
        "usage": USAGE,
    }),
    ("TGI", {
        "object": "chat.completion", "id": "", "created": 1733000000, "model": "tgi",
        "system_fingerprint": "3.0.1-sha-0a1b2c3",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": USAGE,
    }),
    ("TGI tool call: arguments as an object", {
        "object": "chat.completion", "id": "", "created": 1, "model": "tgi",
        "system_fingerprint": "2.4.0-native",
        "choices": [{"index": 0, "message": {"role": "assistant", "tool_calls": [
            {"id": "0", "type": "function", "function": {
                "description": None, "name": "get_weather", "arguments": {"city": "Paris"}}}]},
            "logprobs": None, "finish_reason": "stop"}],
        "usage": USAGE,
    }),
    ("llama.cpp", {
        "choices": [{"finish_reason": "stop", "index": 0,
                     "message": {"role": "assistant", "content": "Hi"}}],
        "created": 1733000000, "model": "gpt-3.5-turbo", "system_fingerprint": "b4500-9f8e7d",
        "object": "chat.completion", "usage": USAGE, "id": "chatcmpl-Xy12",
        "timings": {"prompt_n": 10, "prompt_ms": 5.1, "predicted_n": 2, "predicted_ms": 3.2},
    }),
    ("llama.cpp logprobs", {
        "choices": [{"finish_reason": "stop", "index": 0,
                     "message": {"role": "assistant", "content": "Hi"},
                     "logprobs": {"content": [{"id": 9906, "token": "Hi", "bytes": [72, 105],
                                               "logprob": -0.01, "top_logprobs": [
                         {"id": 9906, "token": "Hi", "bytes": [72, 105], "logprob": -0.01}]}]}}],
        "created": 1, "model": "m", "object": "chat.completion", "usage": USAGE, "id": "c",
    }),
    ("null token counts, null top_logprobs, tool call without id, content as parts", {
        "id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {
            "role": None,
            "content": [{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}],
            "tool_calls": [{"type": None, "function": {"name": "f", "arguments": None}}]},
            "logprobs": {"content": [{"token": "Hello", "logprob": -0.5, "top_logprobs": None}]},
            "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": None, "total_tokens": None},
    }),
]  # fmt: skip

CHUNKS: list[tuple[str, dict[str, Any]]] = [
    ("vLLM", {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
              "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                           "logprobs": None, "finish_reason": None}]}),
    ("vLLM usage", {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
                    "model": "m", "choices": [], "usage": USAGE}),
    ("SGLang", {"id": "s", "object": "chat.completion.chunk", "created": 1, "model": "default",
                "choices": [{"index": 0, "delta": {"role": None, "content": "Hi",
                             "reasoning_content": None, "tool_calls": None},
                             "logprobs": None, "finish_reason": None, "matched_stop": None}],
                "usage": None}),
    ("TGI", {"object": "chat.completion.chunk", "id": "", "created": 1, "model": "tgi",
             "system_fingerprint": "3.0.1", "choices": [{"index": 0, "delta": {
                 "role": "assistant", "content": "Hi"}, "logprobs": None,
                 "finish_reason": None}], "usage": None}),
    ("llama.cpp", {"choices": [{"finish_reason": "stop", "index": 0, "delta": {}}],
                   "created": 1, "id": "chatcmpl-1", "model": "m", "system_fingerprint": "b1",
                   "object": "chat.completion.chunk", "usage": USAGE,
                   "timings": {"prompt_n": 10, "predicted_n": 2}}),
    ("null counts", {"id": "c", "choices": [], "usage": {"prompt_tokens": 3,
                     "completion_tokens": None, "total_tokens": None}}),
]  # fmt: skip

COMPLETIONS: list[tuple[str, dict[str, Any]]] = [
    ("vLLM", {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m",
              "choices": [{"index": 0, "text": " world", "logprobs": None,
                           "finish_reason": "length", "stop_reason": None,
                           "prompt_logprobs": None}],
              "usage": USAGE, "kv_transfer_params": None}),
    ("TGI", {"id": "", "object": "text_completion", "created": 1, "model": "tgi",
             "system_fingerprint": "3.0.1", "choices": [{"index": 0, "text": " world",
             "logprobs": None, "finish_reason": "length"}], "usage": USAGE}),
    ("llama.cpp", {"choices": [{"text": " world", "index": 0, "logprobs": None,
                                "finish_reason": "length"}], "created": 1, "model": "m",
                   "system_fingerprint": "b1", "object": "text_completion", "usage": USAGE,
                   "id": "chatcmpl-1", "timings": {"predicted_n": 2}}),
]  # fmt: skip

EMBEDDINGS: list[tuple[str, dict[str, Any]]] = [
    ("vLLM: id and created on top", {
        "id": "embd-1", "object": "list", "created": 1733000000, "model": "m",
        "data": [{"index": 0, "object": "embedding", "embedding": [0.25, -0.5]}],
        "usage": {"prompt_tokens": 3, "total_tokens": 3, "completion_tokens": 0,
                  "prompt_tokens_details": None}}),
    ("SGLang", {"data": [{"embedding": [0.25, -0.5], "index": 0, "object": "embedding"}],
                "model": "m", "object": "list",
                "usage": {"prompt_tokens": 3, "total_tokens": 3, "completion_tokens": 0,
                          "prompt_tokens_details": None}}),
    ("llama.cpp", {"model": "m", "object": "list",
                   "usage": {"prompt_tokens": 3, "total_tokens": 3},
                   "data": [{"embedding": [0.25, -0.5], "index": 0, "object": "embedding"}]}),
    ("null usage counts and index", {"model": None, "object": "list", "data": [
        {"embedding": [0.25, -0.5], "index": None}], "usage": {"prompt_tokens": None}}),
]  # fmt: skip

RERANK: list[tuple[str, dict[str, Any]]] = [
    ("vLLM", {"id": "rerank-1", "model": "m", "usage": {"total_tokens": 20},
              "results": [{"index": 1, "document": {"text": "b"}, "relevance_score": 0.9},
                          {"index": 0, "document": {"text": "a"}, "relevance_score": 0.1}]}),
    ("llama.cpp: document as plain text", {
        "model": "m", "object": "list", "usage": {"prompt_tokens": 20, "total_tokens": 20},
        "results": [{"index": 1, "relevance_score": 0.9, "document": "b"},
                    {"index": 0, "relevance_score": 0.1}]}),
]  # fmt: skip

MODELS: list[tuple[str, dict[str, Any]]] = [
    ("vLLM", {"object": "list", "data": [{"id": "m", "object": "model", "created": 1,
              "owned_by": "vllm", "root": "m", "parent": None, "max_model_len": 4096,
              "permission": [{"id": "modelperm-1", "allow_sampling": True}]}]}),
    ("llama.cpp", {"models": [{"name": "m", "model": "m"}], "object": "list", "data": [
        {"id": "m", "object": "model", "created": 1, "owned_by": "llamacpp",
         "meta": {"n_ctx_train": 8192, "n_params": 134515008}}]}),
]  # fmt: skip

BATCHES: list[tuple[str, dict[str, Any]]] = [
    ("request_counts with nulls", {
        "id": "batch_1", "object": "batch", "endpoint": "/v1/chat/completions",
        "input_file_id": "file-1", "completion_window": "24h", "status": "validating",
        "created_at": 1, "request_counts": {"total": 4, "completed": None, "failed": None}}),
]  # fmt: skip


def _serve(payload: Any) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=payload)

    return handle


@pytest.mark.parametrize("payload", [c[1] for c in CHAT], ids=[c[0] for c in CHAT])
def test_chat_replies_parse(recorder: Callable[[Handler], FakeAPI], payload: Any) -> None:
    client = recorder(_serve(payload)).sync_client()
    reply = client.create_chat_completion(model="m", messages=MSG)
    assert isinstance(reply, ChatCompletion)
    message = reply.choices[0].message
    assert message.role == "assistant"
    for call in message.tool_calls or []:
        assert call.id and call.type == "function"
        assert isinstance(json.loads(call.function.arguments or "{}"), dict)
    assert reply.usage is not None and reply.usage.total_tokens >= 0


def test_lenient_chat_readings() -> None:
    lenient = ChatCompletion.model_validate(CHAT[-1][1])
    message = lenient.choices[0].message
    assert message.content == "Hello there"
    assert message.model_extra and message.model_extra["content_parts"][1]["text"] == "there"
    assert message.tool_calls is not None
    call = message.tool_calls[0]
    assert call.id.startswith("call_") and call.function.arguments == ""
    again = ChatCompletion.model_validate(CHAT[-1][1]).choices[0].message.tool_calls
    assert again is not None and again[0].id != call.id  # a fresh id each time
    assert lenient.usage is not None and lenient.usage.completion_tokens == 0
    logprobs = lenient.choices[0].logprobs
    assert logprobs is not None and logprobs.content and logprobs.content[0].top_logprobs == []
    tgi = ChatCompletion.model_validate(CHAT[6][1]).choices[0].message.tool_calls
    assert tgi is not None and json.loads(tgi[0].function.arguments) == {"city": "Paris"}
    llama = ChatCompletion.model_validate(CHAT[7][1])
    assert llama.model_extra and llama.model_extra["timings"]["predicted_n"] == 2


@pytest.mark.parametrize("payload", [c[1] for c in CHUNKS], ids=[c[0] for c in CHUNKS])
def test_stream_chunks_parse(recorder: Callable[[Handler], FakeAPI], payload: Any) -> None:
    body = f"data: {json.dumps(payload)}\n\ndata: [DONE]\n\n".encode()

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    client = recorder(handle).sync_client()
    chunks = list(client.stream_chat_completion(model="m", messages=MSG))
    assert len(chunks) == 1 and isinstance(chunks[0], ChatCompletionChunk)
    if chunks[0].usage is not None:
        assert chunks[0].usage.total_tokens >= 0


@pytest.mark.parametrize("payload", [c[1] for c in COMPLETIONS], ids=[c[0] for c in COMPLETIONS])
def test_completion_replies_parse(recorder: Callable[[Handler], FakeAPI], payload: Any) -> None:
    reply = recorder(_serve(payload)).sync_client().create_completion(model="m", prompt="hello")
    assert isinstance(reply, Completion) and reply.choices[0].text == " world"


@pytest.mark.parametrize("payload", [c[1] for c in EMBEDDINGS], ids=[c[0] for c in EMBEDDINGS])
def test_embedding_replies_parse_and_keep_extra_fields(
    recorder: Callable[[Handler], FakeAPI], payload: Any
) -> None:
    reply = recorder(_serve(payload)).sync_client().create_embeddings(model="m", input=["a"])
    assert isinstance(reply, CreateEmbeddingResponse)
    assert reply.vectors() == [[0.25, -0.5]]
    extra = {k: v for k, v in payload.items() if k not in ("object", "model", "data", "usage")}
    assert {k: (reply.model_extra or {}).get(k) for k in extra} == extra
    assert reply.usage is None or reply.usage.prompt_tokens >= 0


@pytest.mark.parametrize("payload", [c[1] for c in RERANK], ids=[c[0] for c in RERANK])
def test_rerank_replies_parse(recorder: Callable[[Handler], FakeAPI], payload: Any) -> None:
    client = recorder(_serve(payload)).sync_client()
    reply = client.rerank(model="m", query="q", documents=["a", "b"])
    assert isinstance(reply, RerankResponse)
    first = reply.results[0]
    assert first.index == 1 and first.document is not None and first.document.text == "b"


@pytest.mark.parametrize("payload", [c[1] for c in MODELS], ids=[c[0] for c in MODELS])
def test_model_lists_parse(recorder: Callable[[Handler], FakeAPI], payload: Any) -> None:
    reply = recorder(_serve(payload)).sync_client().list_models()
    assert isinstance(reply, ModelList) and reply.data[0].id == "m"


def test_batch_counters_and_has_more_may_be_null(recorder: Callable[[Handler], FakeAPI]) -> None:
    batch = BATCHES[0][1]
    server = recorder(_serve({"object": "list", "data": [batch], "has_more": None}))
    listing = server.sync_client().list_batches()
    assert isinstance(listing, BatchList) and listing.has_more is False
    counts = listing.data[0].request_counts
    assert counts is not None and (counts.total, counts.completed, counts.failed) == (4, 0, 0)
    assert isinstance(Batch.model_validate(batch), Batch)


def test_every_backend_is_covered() -> None:
    """The table holds each server's shape for chat at least."""
    names = " ".join(name for name, _ in CHAT)
    for backend in ("vLLM", "SGLang", "TGI", "llama.cpp"):
        assert backend in names
    assert ni.NebiusClient  # the package under test
