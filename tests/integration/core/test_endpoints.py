"""Every endpoint, sync and async, over real loopback HTTP."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from nebius_inference import AsyncNebiusClient, AuthenticationError, NebiusClient, NotFoundError
from nebius_inference.testing import Emulator

CHAT = "Qwen/Qwen3-235B-A22B-Instruct-2507"
THINKING = "Qwen/Qwen3-235B-A22B-Thinking-2507"
EMBED = "Qwen/Qwen3-Embedding-8B"
MESSAGES = [{"role": "user", "content": "Tell me about the ocean tides."}]


def test_chat_json_and_stream_agree(client: NebiusClient) -> None:
    reply = client.create_chat_completion(
        model=CHAT, messages=MESSAGES, max_tokens=12, temperature=0
    )
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 12
    with client.stream_chat_completion(
        model=CHAT, messages=MESSAGES, max_tokens=12, temperature=0
    ) as s:
        chunks = list(s)
        assert s.completed
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == reply.choices[0].message.content
    assert chunks[-1].choices == [] and chunks[-1].usage == reply.usage
    assert s.headers["x-ratelimit-limit-requests"]


def test_reasoning_model_and_passthrough_fields(client: NebiusClient, emu: Emulator) -> None:
    reply = client.create_chat_completion(model=THINKING, messages=MESSAGES, top_k=20)
    assert reply.choices[0].message.reasoning_text
    assert emu.request_log[-1].json["top_k"] == 20


def test_guided_json_yields_valid_json(client: NebiusClient) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
        "required": ["city", "days"],
    }
    reply = client.create_chat_completion(
        model=CHAT,
        messages=[{"role": "user", "content": "Plan a trip to Paris"}],
        guided_json=schema,
        response_format={"type": "json_object"},
    )
    data = json.loads(reply.choices[0].message.content or "")
    assert isinstance(data["city"], str) and data["days"] >= 1


def test_completions(client: NebiusClient) -> None:
    reply = client.create_completion(model=CHAT, prompt="Say my name", max_tokens=5, echo=True)
    assert reply.choices[0].text.startswith("Say my name")
    with client.stream_completion(model=CHAT, prompt="Say my name", max_tokens=5) as stream:
        parts = [c.choices[0].text for c in stream if c.choices]
    assert parts and "".join(parts)


def test_embeddings_and_rerank_rank_by_overlap(client: NebiusClient) -> None:
    docs = ["The moon pulls the ocean tides.", "Bread needs yeast and flour.", "Cats sleep a lot."]
    vectors = client.embed([*docs, "What moves the ocean tides?"], model=EMBED, batch_size=2)
    assert all(len(v) == 4096 for v in vectors)

    def dot(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b))

    scores = [dot(vectors[-1], v) for v in vectors[:3]]
    assert scores.index(max(scores)) == 0
    short = client.create_embeddings(model=EMBED, input=["x"], dimensions=256)
    assert len(short.vectors()[0]) == 256
    ranked = client.rerank(
        model="Qwen/Qwen3-Reranker-8B", query="ocean tides", documents=docs, top_n=2
    )
    assert ranked.results[0].index == 0 and len(ranked.results) == 2


def test_images_are_real_pictures(client: NebiusClient) -> None:
    reply = client.generate_images(
        model="nebius-emulator/text-to-image",
        prompt="A red fox",
        width=96,
        height=64,
        response_extension="png",
        response_format="b64_json",
    )
    picture = Image.open(io.BytesIO(reply.data[0].decode()))
    assert (picture.format, picture.size) == ("PNG", (96, 64))


def test_models_plain_and_verbose(client: NebiusClient) -> None:
    plain = client.list_models()
    assert plain.get(CHAT) is not None and plain.get(CHAT).context_length is None  # type: ignore[union-attr]
    verbose = client.list_models(verbose=True)
    model = verbose.get(CHAT)
    assert model is not None and model.context_length and model.supports("tools")


def test_files_and_batch_whole_life(client: NebiusClient) -> None:
    lines = [
        {
            "custom_id": f"req-{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": CHAT, "messages": [{"role": "user", "content": f"Question {i}"}]},
        }
        for i in range(5)
    ]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    uploaded = client.upload_file(data, filename="batch.jsonl")
    assert client.get_file(uploaded.id).bytes == len(data)
    assert client.get_file_content(uploaded.id) == data
    assert uploaded.id in {f.id for f in client.list_files(purpose="batch", limit=100).data}
    batch = client.create_batch(uploaded.id, metadata={"suite": "core"})
    seen = [batch.state]
    for _ in range(50):
        if batch.is_terminal:
            break
        batch = client.get_batch(batch.id)
        seen.append(batch.state)
    assert batch.state == "completed" and "running" in seen
    assert batch.request_counts is not None and batch.request_counts.completed == 5
    assert batch.id in {b.id for b in client.list_batches(limit=100).data}
    assert batch.output_file_id is not None
    from nebius_inference.types import BatchOutputLine

    outcomes = [
        BatchOutputLine.model_validate_json(line).outcome()
        for line in client.get_file_content(batch.output_file_id).splitlines()
    ]
    assert sorted(o.custom_id for o in outcomes) == sorted(line["custom_id"] for line in lines)
    assert all(o.body and o.body["choices"] for o in outcomes)
    assert client.delete_file(uploaded.id).deleted
    with pytest.raises(NotFoundError):
        client.get_file(uploaded.id)


def test_cancel_batch(client: NebiusClient) -> None:
    line = {
        "custom_id": "only",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": CHAT, "messages": MESSAGES},
    }
    uploaded = client.upload_file((json.dumps(line) + "\n").encode())
    batch = client.create_batch(uploaded.id)
    cancelled = client.cancel_batch(batch.id)
    assert cancelled.state in ("cancelling", "cancelled")
    for _ in range(10):
        cancelled = client.get_batch(batch.id)
        if cancelled.is_terminal:
            break
    assert cancelled.state == "cancelled"


def test_api_errors(client: NebiusClient, emu: Emulator) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        client.create_chat_completion(model="no/such-model", messages=MESSAGES)
    bad = NebiusClient(api_key="wrong-key", base_url=emu.base_url)
    with pytest.raises(AuthenticationError) as info:
        bad.list_models()
    assert "wrong-key" not in str(info.value)
    bad.close()


async def test_async_endpoints(aclient: AsyncNebiusClient) -> None:
    reply = await aclient.create_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=8)
    stream = await aclient.stream_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=8)
    async with stream:
        chunks = [c async for c in stream]
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        == reply.choices[0].message.content
    )
    completion = await aclient.create_completion(model=CHAT, prompt="Hi", max_tokens=3)
    assert completion.choices[0].text
    vectors = await aclient.embed([f"text {i}" for i in range(300)], model=EMBED, batch_size=64)
    assert len(vectors) == 300
    assert (await aclient.list_models()).data
    ranked = await aclient.rerank(model="Qwen/Qwen3-Reranker-8B", query="a", documents=["a", "b"])
    assert ranked.results
    image = await aclient.generate_images(
        model="nebius-emulator/text-to-image",
        prompt="x",
        width=64,
        height=64,
        response_format="b64_json",
    )
    assert image.data[0].decode()
    uploaded = await aclient.upload_file(
        b'{"custom_id":"a","method":"POST","url":"/v1/embeddings",'
        b'"body":{"model":"Qwen/Qwen3-Embedding-8B","input":"x"}}\n'
    )
    batch = await aclient.create_batch(uploaded.id, endpoint="/v1/embeddings")
    assert (await aclient.get_batch(batch.id)).id == batch.id
    assert (await aclient.list_files()).data
    assert (await aclient.list_batches()).data
    assert (await aclient.cancel_batch(batch.id)).id == batch.id
    assert await aclient.get_file_content(uploaded.id)
    assert (await aclient.get_file(uploaded.id)).id == uploaded.id
    assert (await aclient.delete_file(uploaded.id)).deleted
