"""What each endpoint sends: method, path, query and body."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes import API_KEY, FakeAPI, Handler, endpoint_reply

from nebius_inference import InvalidRequestError
from nebius_inference.types import ChatCompletionRequest

MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def server(recorder: Callable[[Handler], FakeAPI]) -> FakeAPI:
    return recorder(endpoint_reply)


def test_chat_body_headers_and_passthrough_fields(server: FakeAPI) -> None:
    client = server.sync_client(default_headers={"X-Trace": "1"})
    client.create_chat_completion(
        model="m",
        messages=MESSAGES,
        temperature=0.2,
        max_tokens=5,
        top_k=40,
        guided_json={"type": "object"},
        guided_regex="[a-z]+",
        guided_choice=["a", "b"],
        chat_template_kwargs={"enable_thinking": False},
        service_tier="flex",
    )
    request = server.requests[-1]
    assert request.method == "POST"
    assert request.url.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-trace"] == "1"
    assert server.body() == {
        "model": "m",
        "messages": MESSAGES,
        "temperature": 0.2,
        "max_tokens": 5,
        "top_k": 40,
        "guided_json": {"type": "object"},
        "guided_regex": "[a-z]+",
        "guided_choice": ["a", "b"],
        "chat_template_kwargs": {"enable_thinking": False},
        "service_tier": "flex",
    }


def test_request_model_mapping_and_extras_merge(server: FakeAPI) -> None:
    client = server.sync_client()
    request = ChatCompletionRequest(model="m", messages=MESSAGES, top_k=3)
    client.create_chat_completion(
        request,
        temperature=0.5,
        extra_body={"guided_json": {"type": "object"}},
        extra_query={"trace": "yes"},
        extra_headers={"X-Extra": "e"},
    )
    assert server.body() == {
        "model": "m",
        "messages": MESSAGES,
        "top_k": 3,
        "temperature": 0.5,
        "guided_json": {"type": "object"},
    }
    assert server.requests[-1].url.params["trace"] == "yes"
    assert server.requests[-1].headers["x-extra"] == "e"
    client.create_chat_completion({"model": "m", "messages": MESSAGES}, n=2)
    assert server.body() == {"model": "m", "messages": MESSAGES, "n": 2}


def test_stream_sets_stream_and_usage_by_default(server: FakeAPI) -> None:
    client = server.sync_client()
    with client.stream_chat_completion(model="m", messages=MESSAGES) as stream:
        assert list(stream) == []
    body = server.body()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert server.requests[-1].headers["accept"] == "text/event-stream"
    with client.stream_chat_completion(
        model="m", messages=MESSAGES, stream_options={"include_usage": False}
    ) as stream:
        list(stream)
    assert server.body()["stream_options"] == {"include_usage": False}


def test_stream_keyword_is_rejected(server: FakeAPI) -> None:
    client = server.sync_client()
    with pytest.raises(InvalidRequestError, match="stream_"):
        client.create_chat_completion(model="m", messages=MESSAGES, stream=True)
    assert server.requests == []


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"model": "m", "messages": []}, "messages"),
        ({"model": "", "messages": MESSAGES}, "model"),
        ({"model": "m", "messages": [{"role": "developer", "content": "x"}]}, "developer"),
        ({"model": "m", "messages": [{"role": "tool", "content": "x"}]}, "tool_call_id"),
        ({"model": "m", "messages": MESSAGES, "temperature": 3}, "temperature"),
        ({"model": "m", "messages": MESSAGES, "n": 0}, "n"),
    ],
)
def test_bad_chat_input_fails_before_sending(
    server: FakeAPI, kwargs: dict[str, Any], fragment: str
) -> None:
    client = server.sync_client()
    with pytest.raises(InvalidRequestError, match=fragment):
        client.create_chat_completion(**kwargs)
    assert server.requests == []


def test_completion_body(server: FakeAPI) -> None:
    client = server.sync_client()
    client.create_completion(model="m", prompt="Say", max_tokens=7, logprobs=2, echo=True, top_k=5)
    assert server.requests[-1].url.path == "/v1/completions"
    assert server.body() == {
        "model": "m",
        "prompt": "Say",
        "max_tokens": 7,
        "logprobs": 2,
        "echo": True,
        "top_k": 5,
    }
    with client.stream_completion(model="m", prompt="Say") as stream:
        list(stream)
    assert server.body()["stream"] is True


def test_embeddings_ask_for_base64_unless_told(server: FakeAPI) -> None:
    client = server.sync_client()
    client.create_embeddings(model="e", input=["a"], dimensions=256)
    assert server.body() == {
        "model": "e",
        "input": ["a"],
        "dimensions": 256,
        "encoding_format": "base64",
    }
    client.create_embeddings(model="e", input="a", encoding_format="float")
    assert server.body()["encoding_format"] == "float"


def test_images_body_and_limits(server: FakeAPI) -> None:
    client = server.sync_client()
    client.generate_images(
        model="flux",
        prompt="An elephant",
        width=512,
        height=256,
        num_inference_steps=4,
        seed=7,
        negative_prompt="night",
        response_extension="jpeg",
        response_format="b64_json",
    )
    assert server.body() == {
        "model": "flux",
        "prompt": "An elephant",
        "width": 512,
        "height": 256,
        "num_inference_steps": 4,
        "seed": 7,
        "negative_prompt": "night",
        "response_extension": "jpg",
        "response_format": "b64_json",
    }
    for bad in ({"width": 4096}, {"height": 10}, {"num_inference_steps": 0}, {"seed": -2}):
        with pytest.raises(InvalidRequestError, match=next(iter(bad))):
            client.generate_images(model="flux", prompt="x", **bad)
    assert len(server.requests) == 1


def test_models_plain_and_verbose(server: FakeAPI) -> None:
    client = server.sync_client()
    client.list_models()
    assert server.requests[-1].method == "GET"
    assert server.requests[-1].url.path == "/v1/models"
    assert "verbose" not in server.requests[-1].url.params
    client.list_models(verbose=True)
    assert server.requests[-1].url.params["verbose"] == "true"


def test_rerank_body(server: FakeAPI) -> None:
    client = server.sync_client()
    client.rerank(model="r", query="q", documents=["a", "b"], top_n=1)
    assert server.requests[-1].url.path == "/v1/rerank"
    assert server.body() == {"model": "r", "query": "q", "documents": ["a", "b"], "top_n": 1}
    with pytest.raises(InvalidRequestError, match="documents"):
        client.rerank(model="r", query="q", documents=[])


def test_files_endpoints(server: FakeAPI, tmp_path: Path) -> None:
    client = server.sync_client()
    path = tmp_path / "input.jsonl"
    path.write_bytes(b'{"custom_id": "1"}\n')
    for source, name in (
        (path, "input.jsonl"),
        (b"{}\n", "upload.jsonl"),
        (io.BytesIO(b"{}"), None),
    ):
        client.upload_file(source, purpose="batch", filename=name)
        request = server.requests[-1]
        assert request.method == "POST" and request.url.path == "/v1/files"
        assert request.headers["content-type"].startswith("multipart/form-data")
        assert b'name="purpose"\r\n\r\nbatch' in request.content
        assert b'name="file"' in request.content
    client.get_file("file-1")
    assert (server.requests[-1].method, server.requests[-1].url.path) == ("GET", "/v1/files/file-1")
    assert client.get_file_content("file-1") == b'{"a":1}\n'
    assert server.requests[-1].url.path == "/v1/files/file-1/content"
    client.list_files(purpose="batch", limit=5)
    assert dict(server.requests[-1].url.params) == {"purpose": "batch", "limit": "5"}
    deleted = client.delete_file("file-1")
    assert server.requests[-1].method == "DELETE" and deleted.deleted
    with pytest.raises(InvalidRequestError, match="purpose"):
        client.upload_file(b"x", purpose="other")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="file_id"):
        client.get_file("../batches")


def test_batches_endpoints(server: FakeAPI) -> None:
    client = server.sync_client()
    client.create_batch("file-1", metadata={"job": "a"}, override_settings={"max_tokens": 10})
    assert server.requests[-1].url.path == "/v1/batches"
    assert server.body() == {
        "input_file_id": "file-1",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "metadata": {"job": "a"},
        "override_settings": {"max_tokens": 10},
    }
    client.get_batch("batch_1")
    assert server.requests[-1].url.path == "/v1/batches/batch_1"
    client.list_batches(limit=3, after="batch_0")
    assert dict(server.requests[-1].url.params) == {"limit": "3", "after": "batch_0"}
    client.cancel_batch("batch_1")
    assert (server.requests[-1].method, server.requests[-1].url.path) == (
        "POST",
        "/v1/batches/batch_1/cancel",
    )
    with pytest.raises(InvalidRequestError, match="completion_window"):
        client.create_batch("file-1", completion_window="48h")  # type: ignore[arg-type]


def test_project_id_goes_on_every_request(server: FakeAPI) -> None:
    client = server.sync_client(ai_project_id="project-7")
    client.list_models()
    client.create_chat_completion(model="m", messages=MESSAGES)
    assert all(r.url.params["ai_project_id"] == "project-7" for r in server.requests)


def test_base_url_is_respected(server: FakeAPI) -> None:
    client = server.sync_client(base_url="https://api.tokenfactory.us-central1.nebius.com/v1/")
    client.list_models()
    assert (
        str(server.requests[-1].url) == "https://api.tokenfactory.us-central1.nebius.com/v1/models"
    )
