"""Streams against a misbehaving server: bytes that are not UTF-8, keep-alive comments, silence."""

from __future__ import annotations

import pytest
from reliability.fault_server import MODEL, FaultServer

import nebius_inference as ni
from nebius_inference import AsyncNebiusClient, NebiusClient

MESSAGES = [{"role": "user", "content": "stream"}]


def test_invalid_utf8_in_an_event_is_an_api_stream_error(fault_env: FaultServer) -> None:
    with NebiusClient(max_retries=0) as client:
        stream = client.stream_chat_completion(
            model=MODEL, messages=MESSAGES, extra_headers={"x-fault": "invalid-utf8"}
        )
        received = []
        with pytest.raises(ni.APIStreamError, match="not valid UTF-8") as caught:
            for chunk in stream:
                received.append(chunk)
        assert isinstance(caught.value, ni.NebiusError)
        assert not isinstance(caught.value, UnicodeDecodeError)
        assert len(received) == 1  # the good event before the bad one arrived
        # The client is still usable, and the broken stream's connection was freed.
        assert client.create_chat_completion(model=MODEL, messages=MESSAGES).choices


async def test_invalid_utf8_in_an_event_is_an_api_stream_error_async(
    fault_env: FaultServer,
) -> None:
    client = AsyncNebiusClient(max_retries=0)
    stream = await client.stream_chat_completion(
        model=MODEL, messages=MESSAGES, extra_headers={"x-fault": "invalid-utf8"}
    )
    received = []
    with pytest.raises(ni.APIStreamError, match="not valid UTF-8"):
        async with stream:
            async for chunk in stream:
                received.append(chunk)
    assert len(received) == 1
    assert (await client.create_chat_completion(model=MODEL, messages=MESSAGES)).choices
    await client.aclose()


def test_keep_alive_comments_count_as_life(fault_env: FaultServer) -> None:
    """Six comments half a second apart keep a stream with a 2 s idle timeout alive for 3 s
    before its first event: the idle timer counts any bytes, comments included."""
    with NebiusClient(max_retries=0, stream_idle_timeout=2.0) as client:
        stream = client.stream_chat_completion(
            model=MODEL, messages=MESSAGES, extra_headers={"x-fault": "keepalive=6x0.5"}
        )
        with stream:
            chunks = list(stream)
        assert stream.completed
        assert len(chunks) == 64


async def test_keep_alive_comments_count_as_life_async(fault_env: FaultServer) -> None:
    client = AsyncNebiusClient(max_retries=0, stream_idle_timeout=2.0)
    stream = await client.stream_chat_completion(
        model=MODEL, messages=MESSAGES, extra_headers={"x-fault": "keepalive=6x0.5"}
    )
    async with stream:
        chunks = [chunk async for chunk in stream]
    assert stream.completed
    assert len(chunks) == 64
    await client.aclose()


def test_silence_longer_than_the_idle_timeout_raises(fault_env: FaultServer) -> None:
    """The other side of the same rule: no bytes at all for longer than the timeout."""
    with NebiusClient(max_retries=0, stream_idle_timeout=0.5) as client:
        stream = client.stream_chat_completion(
            model=MODEL, messages=MESSAGES, extra_headers={"x-fault": "pause=3"}
        )
        with pytest.raises(ni.StreamIdleTimeoutError), stream:
            for _ in stream:
                pass
