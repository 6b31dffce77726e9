"""Faults over real sockets: retries, cut streams, silence, released connections, event loops."""

from __future__ import annotations

import asyncio
import copy
import gc
import logging
import pickle
from typing import Any

import httpx
import pytest

import nebius_inference as ni
from nebius_inference import AsyncNebiusClient, NebiusClient, _httpcore, _retry
from nebius_inference.testing import Emulator

CHAT = "Qwen/Qwen3-235B-A22B-Instruct-2507"
MESSAGES = [{"role": "user", "content": "Tell me about the ocean tides."}]
FAULT = "x-emulator-fault"


def _attempts(emu: Emulator, path: str = "/v1/chat/completions") -> int:
    return sum(1 for r in emu.request_log if r.path == path)


@pytest.mark.parametrize("fault", ["rate_limit;times=2;retry_after=2", "error;status=503;times=2"])
def test_retries_recover(client: NebiusClient, emu: Emulator, fault: str) -> None:
    reply = client.create_chat_completion(
        model=CHAT, messages=MESSAGES, extra_headers={FAULT: fault}
    )
    assert reply.choices[0].message.content
    assert _attempts(emu) == 3
    if fault.startswith("rate_limit"):
        assert _retry.recorded_sleeps() == [2.0, 2.0]


def test_retries_give_up_with_the_right_error(emu: Emulator) -> None:
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url, max_retries=1) as client:
        with pytest.raises(ni.RateLimitError, match="429"):
            client.list_models(extra_headers={FAULT: "rate_limit;times=*;retry_after=0"})
    assert _attempts(emu, "/v1/models") == 2


def test_dropped_connection_is_retried_then_raised(client: NebiusClient, emu: Emulator) -> None:
    client.create_chat_completion(
        model=CHAT, messages=MESSAGES, extra_headers={FAULT: "disconnect;times=1"}
    )
    assert _attempts(emu) == 2
    with pytest.raises(ni.APIConnectionError):
        client.create_chat_completion(
            model=CHAT, messages=MESSAGES, extra_headers={FAULT: "disconnect;times=*;key=always"}
        )


def test_cut_stream_raises_and_is_not_retried(client: NebiusClient, emu: Emulator) -> None:
    received = []
    with (
        pytest.raises(ni.IncompleteStreamError),
        client.stream_chat_completion(
            model=CHAT, messages=MESSAGES, extra_headers={FAULT: "stream_cut;after=3"}
        ) as stream,
    ):
        for event in stream:
            received.append(event)
    assert len(received) == 3
    assert _attempts(emu) == 1


def test_in_band_error_and_malformed_body(client: NebiusClient) -> None:
    with pytest.raises(ni.APIStreamError, match="boom"):
        list(
            client.stream_chat_completion(
                model=CHAT,
                messages=MESSAGES,
                extra_headers={FAULT: "stream_error;after=1;message=boom"},
            )
        )
    with pytest.raises(ni.APIResponseValidationError):
        client.create_chat_completion(
            model=CHAT, messages=MESSAGES, extra_headers={FAULT: "malformed"}
        )


def test_silent_stream_hits_the_idle_timeout(emu: Emulator) -> None:
    with (
        NebiusClient(api_key=emu.api_key, base_url=emu.base_url, stream_idle_timeout=0.2) as client,
        pytest.raises(ni.StreamIdleTimeoutError),
    ):
        list(
            client.stream_chat_completion(
                model=CHAT,
                messages=MESSAGES,
                extra_headers={FAULT: "stream_delay;seconds=1;after=1"},
            )
        )


def test_connections_are_released_after_errors_and_early_exits(emu: Emulator) -> None:
    pool = httpx.Client(limits=httpx.Limits(max_connections=2), timeout=httpx.Timeout(5, pool=1))
    with NebiusClient(
        api_key=emu.api_key, base_url=emu.base_url, http_client=pool, max_retries=0
    ) as client:
        for _ in range(6):
            with client.stream_chat_completion(model=CHAT, messages=MESSAGES) as stream:
                next(iter(stream))
            with pytest.raises(ni.NotFoundError):
                client.create_chat_completion(model="no/such", messages=MESSAGES)
            with (
                pytest.raises(ni.RateLimitError),
                client.stream_chat_completion(
                    model=CHAT, messages=MESSAGES, extra_headers={FAULT: "rate_limit;times=*"}
                ) as stream,
            ):
                pass
        # With two connections at most, any leak above would make this wait for the pool.
        assert client.create_chat_completion(model=CHAT, messages=MESSAGES).choices
    pool.close()


async def test_async_retries_and_cut_stream(aclient: AsyncNebiusClient, emu: Emulator) -> None:
    await aclient.create_chat_completion(
        model=CHAT, messages=MESSAGES, extra_headers={FAULT: "error;status=502;times=2"}
    )
    assert _attempts(emu) == 3
    stream = await aclient.stream_chat_completion(
        model=CHAT, messages=MESSAGES, extra_headers={FAULT: "stream_cut;after=2"}
    )
    with pytest.raises(ni.IncompleteStreamError):
        async with stream:
            async for _ in stream:
                pass


# On Python 3.13, the loop below that is closed without `shutdown_asyncgens()` leaves httpx's
# inner `Response.aiter_raw` generator (which httpx's `aiter_bytes` never closes, and which our
# stream cannot reach) to be finalized after the loop is gone. That report is the loop's
# owner's doing and not what this test checks: that the next loop still works.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <async_generator object Response.aiter_raw"
    ":pytest.PytestUnraisableExceptionWarning"
)
def test_async_client_survives_many_event_loops(emu: Emulator) -> None:
    client = AsyncNebiusClient(api_key=emu.api_key, base_url=emu.base_url)

    async def ask() -> str:
        reply = await client.create_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=4)
        stream = await client.stream_chat_completion(model=CHAT, messages=MESSAGES, max_tokens=4)
        async with stream:
            async for _ in stream:
                break
        return reply.choices[0].message.content or ""

    answers = [asyncio.run(ask()) for _ in range(4)]
    assert len(set(answers)) == 1 and answers[0]
    # A loop closed without shutting down its async generators: the next loop still works.
    loop = asyncio.new_event_loop()
    assert loop.run_until_complete(ask()) == answers[0]
    loop.close()
    assert asyncio.run(ask()) == answers[0]
    gc.collect()


async def test_many_concurrent_async_calls(aclient: AsyncNebiusClient) -> None:
    replies = await asyncio.gather(
        *(
            aclient.create_chat_completion(
                model=CHAT, messages=[{"role": "user", "content": f"n {i}"}], max_tokens=3
            )
            for i in range(200)
        )
    )
    assert len({r.id for r in replies}) == 200


async def test_async_direct_path_handles_faults_like_the_others(emu: Emulator) -> None:
    """Plain async calls on our own pool go straight through aiohttp: same retries and errors."""
    client = AsyncNebiusClient(api_key=emu.api_key, base_url=emu.base_url, timeout=0.3)
    try:
        reply = await client.create_chat_completion(
            model=CHAT, messages=MESSAGES, extra_headers={FAULT: "disconnect;times=1"}
        )
        assert reply.choices and _attempts(emu) == 2
        assert reply.response_headers["x-ratelimit-limit-requests"]
        await client.create_chat_completion(
            model=CHAT, messages=MESSAGES, extra_headers={FAULT: "rate_limit;times=1;retry_after=3"}
        )
        assert _retry.recorded_sleeps()[-1] == 3.0
        with pytest.raises(ni.APITimeoutError):
            await client.list_models(extra_headers={FAULT: "delay;seconds=1;times=*;key=slow"})
        with pytest.raises(ni.APIConnectionError, match="retries"):
            await client.list_models(extra_headers={FAULT: "disconnect;times=*;key=gone"})
        with pytest.raises(ni.APIResponseValidationError) as bad:
            await client.list_models(extra_headers={FAULT: "malformed"})
        # A successful reply skips httpx's objects; one that does not parse still gets them.
        assert bad.value.response is not None and bad.value.response.status_code == 200
        assert bad.value.request is not None and bad.value.request.url.path.endswith("/models")
        with pytest.raises(ni.NotFoundError) as info:
            await client.create_chat_completion(model="no/such-model", messages=MESSAGES)
        assert info.value.request is not None and info.value.request.url.path.endswith(
            "/completions"
        )
        assert (
            len(await client.embed([f"t{i}" for i in range(300)], model="Qwen/Qwen3-Embedding-8B"))
            == 300
        )
    finally:
        await client.aclose()


async def test_direct_paths_log_each_reply(emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    """With INFO logging on, the direct paths log each reply like the httpx paths do."""
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        plain = client.create_chat_completion(model=CHAT, messages=MESSAGES)
        with caplog.at_level(logging.INFO, logger="nebius_inference"):
            logged = client.create_chat_completion(model=CHAT, messages=MESSAGES)
    assert logged.choices[0].message.content == plain.choices[0].message.content
    assert logged.response_headers["X-RateLimit-Limit-Requests"]
    assert caplog.text.count("POST /v1/chat/completions -> 200") == 1
    aclient = AsyncNebiusClient(api_key=emu.api_key, base_url=emu.base_url)
    try:
        with caplog.at_level(logging.INFO, logger="nebius_inference"):
            alogged = await aclient.create_chat_completion(model=CHAT, messages=MESSAGES)
    finally:
        await aclient.aclose()
    assert alogged.choices[0].message.content == plain.choices[0].message.content
    assert caplog.text.count("POST /v1/chat/completions -> 200") == 2


def _check_headers(reply: ni.types.ChatCompletion) -> None:
    headers = reply.response_headers
    assert headers["X-RateLimit-Limit-Requests"] == headers["x-ratelimit-limit-requests"]
    for copy_of in (copy.deepcopy(reply), pickle.loads(pickle.dumps(reply))):
        assert dict(copy_of.response_headers) == dict(headers)


async def test_direct_paths_send_the_query_and_keep_the_headers(emu: Emulator) -> None:
    """Plain JSON calls on our own pools skip httpx's objects, sync and async alike."""
    options: dict[str, Any] = {
        "api_key": emu.api_key,
        "base_url": emu.base_url,
        "ai_project_id": "p1",
    }
    extra: dict[str, Any] = {"extra_query": {"tag": "a b&c"}}
    with NebiusClient(**options) as client:
        _check_headers(client.create_chat_completion(model=CHAT, messages=MESSAGES, **extra))
        assert client.list_models(verbose=True).data[0].context_length
    aclient = AsyncNebiusClient(**options)
    try:
        reply = await aclient.create_chat_completion(model=CHAT, messages=MESSAGES, **extra)
        _check_headers(reply)
        assert (await aclient.list_models(verbose=True)).data[0].context_length
    finally:
        await aclient.aclose()
    chats = emu.requests("/v1/chat/completions", "post")
    assert [entry.query for entry in chats] == [{"ai_project_id": "p1", "tag": "a b&c"}] * 2
    listings = emu.requests("/v1/models", "get")
    assert [entry.query for entry in listings] == [{"ai_project_id": "p1", "verbose": "true"}] * 2


def test_sync_json_calls_fall_back_to_the_transport(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If httpx ever keeps its pool elsewhere, plain calls go through httpx.Client.send."""
    monkeypatch.setattr(_httpcore, "pool_of", lambda transport: None)
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        assert client._transport.pool is None
        reply = client.create_chat_completion(
            model=CHAT, messages=MESSAGES, extra_headers={FAULT: "error;status=503;times=1"}
        )
        assert reply.choices and reply.response_headers["x-ratelimit-limit-requests"]
        assert _attempts(emu) == 2
        assert client.list_models(verbose=True).data[0].context_length
        with pytest.raises(ni.NotFoundError):
            client.create_chat_completion(model="no/such-model", messages=MESSAGES)
