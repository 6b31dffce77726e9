"""``nebius_inference`` against a real ``llama-server``."""

from __future__ import annotations

import asyncio
import json
import math

import openai
import pytest
from realserver.llama_server import BREAK_WATCHDOG, RealServer, watched

import nebius_inference as ni
from nebius_inference import AsyncNebiusClient, NebiusClient

HI = [{"role": "user", "content": "Say hello to a new colleague."}]


def test_chat(server: RealServer) -> None:
    with NebiusClient(**server.connection()) as client:
        reply = client.create_chat_completion(model=server.chat_model, messages=HI, max_tokens=12)
    (choice,) = reply.choices
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str) and choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length")
    assert reply.usage is not None
    assert reply.usage.prompt_tokens > 0 and 0 < reply.usage.completion_tokens <= 12
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_stream_reports_usage(server: RealServer) -> None:
    with (
        NebiusClient(**server.connection()) as client,
        client.stream_chat_completion(
            model=server.chat_model, messages=HI, max_tokens=12
        ) as stream,
    ):
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert text.strip()
    assert finishes[-1] in ("stop", "length") and not any(finishes[:-1])
    usage = chunks[-1].usage
    assert usage is not None and 0 < usage.completion_tokens <= 12


async def test_async_with_32_in_flight(server: RealServer) -> None:
    async with AsyncNebiusClient(**server.connection()) as client:
        replies = await asyncio.gather(
            *(
                client.create_chat_completion(
                    model=server.chat_model,
                    messages=[{"role": "user", "content": f"Count to {i}."}],
                    max_tokens=4,
                )
                for i in range(32)
            )
        )
    assert len({reply.id for reply in replies}) == 32
    for reply in replies:
        assert reply.usage is not None and 0 < reply.usage.completion_tokens <= 4
        assert reply.choices[0].message.content is not None


def test_text_completion_and_its_stream(server: RealServer) -> None:
    with NebiusClient(**server.connection()) as client:
        reply = client.create_completion(
            model=server.chat_model, prompt="Once upon a time", max_tokens=8
        )
        with client.stream_completion(
            model=server.chat_model, prompt="Once upon a time", max_tokens=8
        ) as stream:
            parts = [c.choices[0].text for c in stream if c.choices]
    assert reply.choices[0].text.strip()
    assert reply.usage is not None and 0 < reply.usage.completion_tokens <= 8
    assert "".join(parts).strip()


def test_embeddings_base64_equal_floats(server: RealServer) -> None:
    texts = ["The cat sat on the mat.", "A dog barked.", "Stock prices fell."]
    with NebiusClient(**server.connection()) as client:
        decoded = client.create_embeddings(model=server.embed_model, input=texts)  # base64
        floats = client.create_embeddings(
            model=server.embed_model, input=texts, encoding_format="float"
        )
    # The official SDK (which decodes base64 itself) as an independent reading.
    with openai.OpenAI(**server.connection(), max_retries=0) as sdk:
        theirs = sdk.embeddings.create(model=server.embed_model, input=texts)
    ours = decoded.vectors()
    assert len(ours) == 3 and len({len(v) for v in ours}) == 1 and len(ours[0]) > 100
    for mine, plain, sdk_vector in zip(ours, floats.vectors(), theirs.data, strict=True):
        assert max(abs(a - b) for a, b in zip(mine, plain, strict=True)) <= 1e-6
        assert max(abs(a - b) for a, b in zip(mine, sdk_vector.embedding, strict=True)) <= 1e-6
        assert math.isfinite(sum(mine))
    # Batches of two, in input order (the server's numbers shift a little with the batch).
    with NebiusClient(**server.connection()) as client:
        batched = client.embed(texts, model=server.embed_model, batch_size=2)
    for i, vector in enumerate(batched):
        closeness = [_cosine(vector, other) for other in ours]
        assert max(closeness) == closeness[i] > 0.999


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def test_json_schema_response_format(server: RealServer) -> None:
    # Bounded, as in the other tiers' schemas: a 135M model can repeat one character inside an
    # unbounded string until max_tokens cuts the JSON.
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 40},
            "year": {"type": "integer", "minimum": 1880, "maximum": 2030},
        },
        "required": ["title", "year"],
    }
    response_format = {"type": "json_schema", "json_schema": {"name": "Film", "schema": schema}}
    with NebiusClient(**server.connection()) as client:
        reply = client.create_chat_completion(
            model=server.chat_model,
            messages=[{"role": "user", "content": "Tell me about a film you like."}],
            response_format=response_format,
            max_tokens=400,
        )
    value = json.loads(reply.choices[0].message.content or "")
    assert isinstance(value["title"], str) and isinstance(value["year"], int)


# -- errors ---------------------------------------------------------------------------------------


def test_a_wrong_key_is_an_authentication_error(server: RealServer) -> None:
    with NebiusClient(base_url=server.base_url, api_key="sk-wrong", max_retries=0) as client:
        with pytest.raises(ni.AuthenticationError) as caught:
            client.create_chat_completion(model=server.chat_model, messages=HI, max_tokens=1)
    assert caught.value.status_code == 401
    assert "sk-wrong" not in str(caught.value)


def test_an_unknown_model_is_a_client_error_naming_it(server: RealServer) -> None:
    with NebiusClient(**server.connection(), max_retries=0) as client:
        with pytest.raises(ni.APIStatusError) as caught:
            client.create_chat_completion(model="no-such-model-x1", messages=HI, max_tokens=1)
    assert caught.value.status_code == 400
    assert "no-such-model-x1" in str(caught.value)


def test_a_prompt_over_the_context_is_context_length_exceeded(server: RealServer) -> None:
    """llama.cpp says "exceeds the available context size" (``exceed_context_size_error``)."""
    long = [{"role": "user", "content": "word " * (server.context + 500)}]
    with NebiusClient(**server.connection(), max_retries=0) as client:
        with pytest.raises(ni.ContextLengthExceededError) as caught:
            client.create_chat_completion(model=server.chat_model, messages=long, max_tokens=4)
    assert caught.value.status_code == 400


# -- a stream left with break, then another call -----------------------------------------------


def test_break_out_of_a_stream_then_call_again(server: RealServer) -> None:
    def loop() -> int:
        done = 0
        with NebiusClient(**server.connection()) as client:
            for _ in range(20):
                for chunk in client.stream_chat_completion(
                    model=server.chat_model, messages=HI, max_tokens=8
                ):
                    if chunk.choices and chunk.choices[0].delta.content:
                        break
                reply = client.create_chat_completion(
                    model=server.chat_model, messages=HI, max_tokens=2
                )
                done += bool(reply.choices)
        return done

    assert watched(loop, BREAK_WATCHDOG) == 20


def test_async_break_out_of_a_stream_then_call_again(server: RealServer) -> None:
    async def loop() -> int:
        done = 0
        async with AsyncNebiusClient(**server.connection()) as client:
            for _ in range(20):
                stream = await client.stream_chat_completion(
                    model=server.chat_model, messages=HI, max_tokens=8
                )
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        break
                reply = await client.create_chat_completion(
                    model=server.chat_model, messages=HI, max_tokens=2
                )
                done += bool(reply.choices)
        return done

    assert watched(lambda: asyncio.run(loop()), BREAK_WATCHDOG) == 20
