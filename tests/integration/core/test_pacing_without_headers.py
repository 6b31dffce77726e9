"""A server that sends no rate-limit headers, only 429s when too much is in flight: the client
halves what it keeps in flight (AIMD) instead of retrying at full concurrency.

The server is an ``httpx.MockTransport`` handler, not our emulator. Waiting is switched on; no
test asserts a duration.
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import sys
from collections.abc import Iterator

import httpx
import pytest

from nebius_inference import AsyncNebiusClient, _retry

CHAT = "Qwen/Qwen3-235B-A22B-Instruct-2507"
CAPACITY = 8  # requests the server takes at once; more get 429


@pytest.fixture
def waiting() -> Iterator[None]:
    """Real waits (the test suite switches them off), under a watchdog that dumps the stacks and
    ends the run if the test hangs."""
    _retry.set_testing(False)
    faulthandler.dump_traceback_later(300, exit=True, file=sys.stderr)
    yield
    faulthandler.cancel_dump_traceback_later()
    _retry.set_testing(True)


def reply(request: httpx.Request) -> dict[str, object]:
    content = json.loads(request.content)["messages"][0]["content"]
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": CHAT,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": f"echo {content}"}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }  # fmt: skip


async def test_429s_without_headers_shrink_what_is_in_flight(waiting: None) -> None:
    in_flight = rejected = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, rejected
        if in_flight >= CAPACITY:
            rejected += 1
            return httpx.Response(429, json={"detail": "busy"}, headers={"retry-after": "0"})
        in_flight += 1
        try:
            await asyncio.sleep(0.002)
            return httpx.Response(200, json=reply(request))
        finally:
            in_flight -= 1

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AsyncNebiusClient(
        api_key="k", base_url="https://test/v1", http_client=http, max_retries=8
    )
    try:
        replies = await asyncio.gather(
            *(
                client.create_chat_completion(
                    model=CHAT, messages=[{"role": "user", "content": str(i)}]
                )
                for i in range(120)
            )
        )
    finally:
        await http.aclose()
    assert [r.choices[0].message.content for r in replies] == [f"echo {i}" for i in range(120)]
    assert rejected > 0  # the burst did hit the wall ...
    state = client._pacer.models[CHAT]
    assert state.cwnd is not None and state.cwnd < CAPACITY * 2  # ... and the window was cut
    # (With pacing=False the same load ends in RateLimitError even with max_retries=8: every
    # retry goes out at full concurrency again.)
