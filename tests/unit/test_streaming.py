"""Streams end loudly when cut, surface in-band errors, and free their connection."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from fakes import FakeAPI, Handler, chunk, sse

import nebius_inference as ni

MESSAGES = [{"role": "user", "content": "Hi"}]
SSE_HEADERS = {"content-type": "text/event-stream"}


class TrackedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that records whether it was closed."""

    def __init__(self, parts: list[bytes], error: Exception | None = None) -> None:
        self.parts = parts
        self.error = error
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.parts
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def _serve(body: TrackedBody) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=body, headers=SSE_HEADERS)

    return handler


def test_full_stream_with_usage_chunk(recorder: Callable[[Handler], FakeAPI]) -> None:
    usage = json.dumps(
        {
            "id": "c",
            "choices": [],
            "usage": {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4},
        }
    )
    body = TrackedBody([sse(chunk("Hel"), chunk("lo"), usage, newline="\r\n")])
    client = recorder(_serve(body)).sync_client()
    with client.stream_chat_completion(model="m", messages=MESSAGES) as stream:
        events = list(stream)
        assert stream.completed
    assert "".join(e.choices[0].delta.content or "" for e in events[:2]) == "Hello"
    assert events[-1].choices == [] and events[-1].usage is not None
    assert events[-1].usage.total_tokens == 4
    assert body.closed


def test_cut_stream_raises(recorder: Callable[[Handler], FakeAPI]) -> None:
    body = TrackedBody([sse(chunk("partial"), done=False)])
    client = recorder(_serve(body)).sync_client()
    seen = []
    with pytest.raises(ni.IncompleteStreamError):
        for event in client.stream_chat_completion(model="m", messages=MESSAGES):
            seen.append(event)
    assert len(seen) == 1 and body.closed


def test_in_band_error_raises(recorder: Callable[[Handler], FakeAPI]) -> None:
    error = json.dumps({"error": {"message": "model crashed", "code": 500}})
    body = TrackedBody([sse(chunk("a"), error)])
    client = recorder(_serve(body)).sync_client()
    with pytest.raises(ni.APIStreamError, match="model crashed"):
        list(client.stream_chat_completion(model="m", messages=MESSAGES))
    body = TrackedBody([b'event: error\ndata: {"detail": "overloaded"}\n\n'])
    client = recorder(_serve(body)).sync_client()
    with pytest.raises(ni.APIStreamError, match="overloaded"):
        list(client.stream_chat_completion(model="m", messages=MESSAGES))


def test_content_that_mentions_error_is_not_an_error(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    tricky = json.dumps({"id": "c", "choices": [{"index": 0, "delta": {"content": '"error"'}}]})
    body = TrackedBody([sse(tricky)])
    client = recorder(_serve(body)).sync_client()
    (event,) = list(client.stream_chat_completion(model="m", messages=MESSAGES))
    assert event.choices[0].delta.content == '"error"'


def test_early_exit_closes_the_connection(recorder: Callable[[Handler], FakeAPI]) -> None:
    body = TrackedBody([sse(*(chunk(str(i)) for i in range(100)))])
    client = recorder(_serve(body)).sync_client()
    with client.stream_chat_completion(model="m", messages=MESSAGES) as stream:
        for _ in stream:
            break
    assert body.closed and not stream.completed


def test_silence_becomes_idle_timeout(recorder: Callable[[Handler], FakeAPI]) -> None:
    body = TrackedBody([sse(chunk("a"), done=False)], error=httpx.ReadTimeout("silent"))
    client = recorder(_serve(body)).sync_client(stream_idle_timeout=0.5)
    with pytest.raises(ni.StreamIdleTimeoutError, match="stream_idle_timeout"):
        list(client.stream_chat_completion(model="m", messages=MESSAGES))


def test_stream_read_timeout_is_the_idle_timeout(recorder: Callable[[Handler], FakeAPI]) -> None:
    server = recorder(_serve(TrackedBody([sse()])))
    client = server.sync_client(timeout=30, stream_idle_timeout=2.5)
    list(client.stream_chat_completion(model="m", messages=MESSAGES))
    assert server.requests[-1].extensions["timeout"]["read"] == 2.5


def test_malformed_event_raises(recorder: Callable[[Handler], FakeAPI]) -> None:
    body = TrackedBody([b"data: {oops\n\n"])
    client = recorder(_serve(body)).sync_client()
    with pytest.raises(ni.APIResponseValidationError, match="ChatCompletionChunk"):
        list(client.stream_chat_completion(model="m", messages=MESSAGES))


async def test_async_stream_cut_in_band_and_early_exit(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    body = TrackedBody([sse(chunk("x"), done=False)], error=httpx.RemoteProtocolError("gone"))
    async with recorder(_serve(body)).async_client() as client:
        stream = await client.stream_chat_completion(model="m", messages=MESSAGES)
        with pytest.raises(ni.IncompleteStreamError, match="RemoteProtocolError"):
            async with stream:
                async for _ in stream:
                    pass
    assert body.closed
    body = TrackedBody([sse(*(chunk(str(i)) for i in range(50)))])
    async with recorder(_serve(body)).async_client() as client:
        stream = await client.stream_chat_completion(model="m", messages=MESSAGES)
        async with stream:
            async for _ in stream:
                break
    assert body.closed
