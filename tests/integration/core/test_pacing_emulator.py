"""Pacing against an emulator that enforces a rate limit: nothing lost, no error surfaced.

These tests wait for real windows (half a second long), so retry and pacing waits are
switched on here. They assert what was sent and received, never how long it took; a
watchdog dumps every thread's stack and ends the run if one hangs.
"""

from __future__ import annotations

import asyncio
import faulthandler
import sys
from collections.abc import Iterator

import httpx
import pytest

import nebius_inference as ni
from nebius_inference import AsyncNebiusClient, NebiusClient, _retry
from nebius_inference.testing import Emulator, EmulatorConfig

CHAT = "Qwen/Qwen3-235B-A22B-Instruct-2507"
EMBED = "Qwen/Qwen3-Embedding-8B"
WINDOW = 0.5
REQUESTS = 20  # a window
TOKENS = 3_000


def limited(**overrides: object) -> EmulatorConfig:
    settings: dict[str, object] = {
        "rate_limit_requests": REQUESTS,
        "rate_limit_tokens": TOKENS,
        "rate_limit_window": WINDOW,
        "rate_limit_enforce": True,
    }
    settings.update(overrides)
    return EmulatorConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
def waiting() -> Iterator[None]:
    """Real waits (the test suite switches them off), under a watchdog."""
    _retry.set_testing(False)
    faulthandler.dump_traceback_later(300, exit=True, file=sys.stderr)
    yield
    faulthandler.cancel_dump_traceback_later()
    _retry.set_testing(True)


@pytest.fixture
def emu(waiting: None) -> Iterator[Emulator]:
    with Emulator(limited()) as emulator:
        yield emulator


def counts(emu: Emulator, model: str) -> tuple[int, int, int]:
    """(windows, requests served, requests answered 429) for ``model``."""
    windows = [w for w in emu.rate_limit_windows if w.model == model]
    return len(windows), sum(w.requests for w in windows), sum(w.rejected for w in windows)


def texts(n: int) -> list[str]:
    return [f"passage {i} on the tides of the northern sea" for i in range(n)]


def test_embed_at_the_limit_loses_nothing(emu: Emulator) -> None:
    items = texts(1500)
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        vectors = client.embed(items, model=EMBED, batch_size=25)
        # Input order is kept: spot-check against single embeddings.
        for i in (0, 777, 1499):
            assert vectors[i] == client.embed([items[i]], model=EMBED)[0]
    assert len(vectors) == len(items)
    windows, served, rejected = counts(emu, EMBED)
    assert windows >= 4  # the token limit was the bottleneck for several windows
    assert served == 60 + 3
    assert rejected <= 3, rejected


async def test_many_concurrent_chats_at_the_limit(emu: Emulator) -> None:
    client = AsyncNebiusClient(api_key=emu.api_key, base_url=emu.base_url)
    gate = asyncio.Semaphore(64)

    async def one(i: int) -> str:
        async with gate:
            reply = await client.create_chat_completion(
                model=CHAT, messages=[{"role": "user", "content": f"Say {i}"}], max_tokens=8
            )
        return reply.choices[0].message.content or ""

    try:
        replies = await asyncio.gather(*(one(i) for i in range(200)))
    finally:
        await client.aclose()
    assert len(replies) == 200 and all(replies)
    windows, served, rejected = counts(emu, CHAT)
    assert windows >= 10 and served == 200
    assert rejected <= 64  # at most the first burst, sent before any reply told the limit


def test_threads_share_one_pacer(emu: Emulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        client.create_chat_completion(model=CHAT, messages=[{"role": "user", "content": "hi"}])

        def one(i: int) -> str | None:
            messages = [{"role": "user", "content": f"Say {i}"}]
            reply = client.create_chat_completion(model=CHAT, messages=messages, max_tokens=8)
            return reply.choices[0].message.content

        with ThreadPoolExecutor(16) as pool:
            replies = list(pool.map(one, range(100)))
    assert all(replies)
    _, served, rejected = counts(emu, CHAT)
    assert served == 101 and rejected <= 2, rejected


def test_without_pacing_the_same_load_hits_the_wall(emu: Emulator) -> None:
    """The control: the emulator does enforce, so pacing is what keeps the tests above clean."""
    client = AsyncNebiusClient(
        api_key=emu.api_key, base_url=emu.base_url, pacing=False, max_retries=0
    )

    async def run() -> list[object]:
        calls = [
            client.create_chat_completion(
                model=CHAT, messages=[{"role": "user", "content": "hi"}], max_tokens=8
            )
            for _ in range(60)
        ]
        try:
            return await asyncio.gather(*calls, return_exceptions=True)
        finally:
            await client.aclose()

    results = asyncio.run(run())
    limited_out = [r for r in results if isinstance(r, ni.RateLimitError)]
    assert len(limited_out) >= 60 - 2 * REQUESTS
    assert "Rate limit exceeded" in str(limited_out[0])


def test_a_429_carries_retry_after_and_the_over_limit_mark(waiting: None) -> None:
    with Emulator(limited(rate_limit_window=30)) as emu:  # a window that outlasts the test
        headers = {"Authorization": f"Bearer {emu.api_key}"}
        body = {"model": CHAT, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
        with httpx.Client(base_url=emu.base_url, headers=headers) as http:
            replies = [http.post("/chat/completions", json=body) for _ in range(REQUESTS + 1)]
            other = http.post("/embeddings", json={"model": EMBED, "input": "x"})
    ok, over = replies[0], replies[-1]
    assert ok.status_code == 200 and ok.headers["x-ratelimit-limit-requests"] == str(REQUESTS)
    assert int(ok.headers["x-ratelimit-remaining-requests"]) == REQUESTS - 1
    assert int(ok.headers["x-ratelimit-remaining-tokens"]) == TOKENS - 2  # "hi" + max_tokens
    assert 0 < float(ok.headers["x-ratelimit-reset-requests"]) <= 30
    assert [r.status_code for r in replies[:-1]] == [200] * REQUESTS
    assert over.status_code == 429
    assert over.headers["x-ratelimit-over-limit"] == "yes"
    assert 1 <= int(over.headers["retry-after"]) <= 30
    assert over.headers["x-ratelimit-remaining-requests"] == "0"
    assert other.status_code == 200  # each model has its own limit


def test_served_anyway_at_lower_priority(waiting: None) -> None:
    with Emulator(limited(rate_limit_serve_over=0.01, rate_limit_window=30)) as emu:
        headers = {"Authorization": f"Bearer {emu.api_key}"}
        body = {"model": CHAT, "messages": [{"role": "user", "content": "hi"}]}
        with httpx.Client(base_url=emu.base_url, headers=headers) as http:
            replies = [http.post("/chat/completions", json=body) for _ in range(REQUESTS + 3)]
        assert [r.status_code for r in replies] == [200] * (REQUESTS + 3)
        marked = [r for r in replies if r.headers.get("x-ratelimit-over-limit") == "yes"]
        assert len(marked) >= 3
        assert sum(w.over_limit for w in emu.rate_limit_windows) == len(marked)


def test_off_by_default_the_limit_is_only_reported() -> None:
    with Emulator(EmulatorConfig(rate_limit_requests=2)) as emu:
        headers = {"Authorization": f"Bearer {emu.api_key}"}
        with httpx.Client(base_url=emu.base_url, headers=headers) as http:
            replies = [
                http.post("/embeddings", json={"model": EMBED, "input": "x"}) for _ in range(4)
            ]
    assert [r.status_code for r in replies] == [200] * 4
    assert replies[-1].headers["x-ratelimit-remaining-requests"] == "0"
