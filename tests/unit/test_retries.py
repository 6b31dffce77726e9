"""Retries: which failures, how many times, how long, and never after a stream has begun."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from fakes import FakeAPI, Handler, chat_reply, chunk, sse

import nebius_inference as ni
from nebius_inference import RetryPolicy, _retry

MESSAGES = [{"role": "user", "content": "Hi"}]


def _failing(times: int, status: int = 429, headers: dict[str, str] | None = None) -> Handler:
    state = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["n"] += 1
        if state["n"] <= times:
            return httpx.Response(status, json={"detail": "try later"}, headers=headers or {})
        return httpx.Response(200, json=chat_reply())

    return handler


def test_retry_after_is_honoured_and_counted(recorder: Callable[[Handler], FakeAPI]) -> None:
    server = recorder(_failing(2, headers={"Retry-After": "3"}))
    result = server.sync_client(max_retries=2).create_chat_completion(model="m", messages=MESSAGES)
    assert result.choices[0].message.content == "Hello!"
    assert len(server.requests) == 3
    assert _retry.recorded_sleeps() == [3.0, 3.0]


def test_gives_up_after_max_retries(recorder: Callable[[Handler], FakeAPI]) -> None:
    server = recorder(_failing(10, status=503))
    with pytest.raises(ni.InternalServerError):
        server.sync_client(max_retries=3).create_chat_completion(model="m", messages=MESSAGES)
    assert len(server.requests) == 4
    sleeps = _retry.recorded_sleeps()
    assert len(sleeps) == 3
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0 and 1.5 <= sleeps[2] <= 2.0


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses(recorder: Callable[[Handler], FakeAPI], status: int) -> None:
    server = recorder(_failing(1, status=status))
    server.sync_client().create_chat_completion(model="m", messages=MESSAGES)
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_client_errors_are_not_retried(recorder: Callable[[Handler], FakeAPI], status: int) -> None:
    server = recorder(_failing(5, status=status))
    with pytest.raises(ni.APIStatusError):
        server.sync_client(max_retries=5).create_chat_completion(model="m", messages=MESSAGES)
    sent = [r for r in server.requests if r.url.path.endswith("/chat/completions")]
    assert len(sent) == 1
    # A 404 lists the models once, to name the closest ids; nothing else is sent.
    assert len(server.requests) == (2 if status == 404 else 1)


def test_connection_errors_and_timeouts_are_retried(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    state = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["n"] += 1
        if state["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        if state["n"] == 2:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json=chat_reply())

    server = recorder(handler)
    server.sync_client().create_chat_completion(model="m", messages=MESSAGES)
    assert state["n"] == 3

    def always_down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ni.APIConnectionError, match="Could not reach"):
        recorder(always_down).sync_client(max_retries=1).list_models()

    def always_slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ni.APITimeoutError):
        recorder(always_slow).sync_client(max_retries=1).list_models()


def test_stream_is_retried_before_it_starts_but_not_after(
    recorder: Callable[[Handler], FakeAPI],
) -> None:
    state = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        state["n"] += 1
        if state["n"] == 1:
            return httpx.Response(429, json={"detail": "slow down"})

        def body() -> Iterator[bytes]:
            yield sse(chunk("one"), done=False)
            raise httpx.RemoteProtocolError("peer closed connection")

        return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})

    server = recorder(handler)
    received: list[str | None] = []
    client = server.sync_client(max_retries=5)
    with (
        pytest.raises(ni.IncompleteStreamError, match=r"\[DONE\]"),
        client.stream_chat_completion(model="m", messages=MESSAGES) as stream,
    ):
        for event in stream:
            received.append(event.choices[0].delta.content)
    assert received == ["one"]
    assert state["n"] == 2  # one 429 retried before the stream began; no retry once it had


def test_x_should_retry_header_wins(recorder: Callable[[Handler], FakeAPI]) -> None:
    server = recorder(_failing(1, status=400, headers={"x-should-retry": "true"}))
    server.sync_client().create_chat_completion(model="m", messages=MESSAGES)
    assert len(server.requests) == 2
    server = recorder(_failing(1, status=503, headers={"x-should-retry": "false"}))
    with pytest.raises(ni.InternalServerError):
        server.sync_client().create_chat_completion(model="m", messages=MESSAGES)
    assert len(server.requests) == 1


def test_policy_delays() -> None:
    policy = RetryPolicy(max_retries=5)
    assert policy.delay(0, rand=0.0) == 0.5
    assert policy.delay(3, rand=0.0) == 4.0
    assert policy.delay(10, rand=0.0) == 8.0
    assert policy.delay(0, rand=1.0) == pytest.approx(0.375)
    assert policy.delay(0, {"retry-after-ms": "250"}) == 0.25
    assert policy.delay(0, {"retry-after": "120"}, rand=0.0) == 0.5  # beyond the cap: backoff
    now = time.time()
    date = email.utils.formatdate(now + 5, usegmt=True)
    assert 3.5 <= policy.delay(0, {"retry-after": date}, now=now) <= 5.0
    assert policy.delay(1, {"retry-after": "garbage"}, rand=0.0) == 1.0
    assert not policy.should_retry_status(5, 503)
    assert not RetryPolicy(max_retries=0).should_retry_exception(0)


async def test_async_retries_match_sync(recorder: Callable[[Handler], FakeAPI]) -> None:
    server = recorder(_failing(2, headers={"Retry-After": "1"}))
    async with server.async_client() as client:
        await client.create_chat_completion(model="m", messages=MESSAGES)
    assert len(server.requests) == 3
    assert _retry.recorded_sleeps() == [1.0, 1.0]
