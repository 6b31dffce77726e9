"""The sync and async clients have the same methods, arguments and requests."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx
from fakes import FakeAPI, Handler, endpoint_reply

from nebius_inference import AsyncNebiusClient, NebiusClient

PUBLIC = sorted(
    name
    for name in dir(NebiusClient)
    if not name.startswith("_") and callable(getattr(NebiusClient, name))
)


def test_same_public_methods_and_signatures() -> None:
    async_public = sorted(
        name
        for name in dir(AsyncNebiusClient)
        if not name.startswith("_") and callable(getattr(AsyncNebiusClient, name))
    )
    assert set(PUBLIC) - {"close"} <= set(async_public)
    assert set(async_public) - set(PUBLIC) == {"aclose"}
    for name in PUBLIC:
        sync_sig = inspect.signature(getattr(NebiusClient, name))
        async_method = getattr(AsyncNebiusClient, name)
        assert list(sync_sig.parameters) == list(inspect.signature(async_method).parameters), name
        if name == "iter_embeddings":  # an async iterator: `async for`, not `await`
            assert inspect.isasyncgenfunction(AsyncNebiusClient._chunks)
        elif name != "close":
            assert inspect.iscoroutinefunction(async_method), name
    init = inspect.signature(NebiusClient.__init__).parameters
    assert list(init) == list(inspect.signature(AsyncNebiusClient.__init__).parameters)[: len(init)]


CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    (
        "create_chat_completion",
        (),
        {"model": "m", "messages": [{"role": "user", "content": "x"}], "top_k": 2},
    ),
    ("create_completion", (), {"model": "m", "prompt": "x", "echo": True}),
    ("create_embeddings", (), {"model": "e", "input": ["a", "b"]}),
    ("generate_images", (), {"model": "i", "prompt": "p", "width": 64}),
    ("list_models", (), {"verbose": True}),
    ("rerank", (), {"model": "r", "query": "q", "documents": ["d"]}),
    ("upload_file", (b"{}\n",), {"filename": "a.jsonl"}),
    ("get_file", ("file-1",), {}),
    ("get_file_content", ("file-1",), {}),
    ("list_files", (), {"limit": 2}),
    ("delete_file", ("file-1",), {}),
    ("create_batch", ("file-1",), {"metadata": {"a": "b"}}),
    ("get_batch", ("batch_1",), {}),
    ("list_batches", (), {"after": "x"}),
    ("cancel_batch", ("batch_1",), {}),
]


def _shape(request: httpx.Request) -> tuple[str, str, str, bytes]:
    content = request.content
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        boundary = content_type.split("boundary=")[1]
        content = content.replace(boundary.encode(), b"BOUNDARY")
        content_type = content_type.replace(boundary, "BOUNDARY")
    return request.method, str(request.url), content_type, content


async def test_same_requests(recorder: Callable[[Handler], FakeAPI]) -> None:
    sync_server, async_server = recorder(endpoint_reply), recorder(endpoint_reply)
    sync_client = sync_server.sync_client()
    async with async_server.async_client() as async_client:
        for name, args, kwargs in CALLS:
            getattr(sync_client, name)(*args, **kwargs)
            await getattr(async_client, name)(*args, **kwargs)
    assert [_shape(r) for r in sync_server.requests] == [_shape(r) for r in async_server.requests]
    assert len(sync_server.requests) == len(CALLS)
