"""LangChain classes inherit the core's pacing: a job at the rate limit loses nothing."""

from __future__ import annotations

import faulthandler
import sys
from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage

from langchain_nebius import ChatNebius, NebiusEmbeddings
from nebius_inference import _retry
from nebius_inference.pacing import Pacing
from nebius_inference.testing import Emulator, EmulatorConfig

CHAT = "Qwen/Qwen3-235B-A22B-Instruct-2507"


@pytest.fixture
def limited() -> Iterator[Emulator]:
    """An emulator enforcing 20 requests and 3,000 tokens per 0.5 s window, with real waits
    (the test suite switches them off) under a watchdog that dumps the stacks of a hang."""
    _retry.set_testing(False)
    faulthandler.dump_traceback_later(300, exit=True, file=sys.stderr)
    config = EmulatorConfig(
        rate_limit_requests=20,
        rate_limit_tokens=3_000,
        rate_limit_window=0.5,
        rate_limit_enforce=True,
    )
    with Emulator(config) as emu:
        yield emu
    faulthandler.cancel_dump_traceback_later()
    _retry.set_testing(True)


def served_and_rejected(emu: Emulator) -> tuple[int, int]:
    windows = emu.rate_limit_windows
    return sum(w.requests for w in windows), sum(w.rejected for w in windows)


async def test_abatch_at_max_concurrency_loses_nothing(limited: Emulator) -> None:
    chat = ChatNebius(model=CHAT, max_tokens=8, base_url=limited.base_url, api_key=limited.api_key)
    prompts = [f"Say the number {i}." for i in range(150)]
    replies = await chat.abatch(prompts, config={"max_concurrency": 64})  # type: ignore[arg-type]
    assert len(replies) == 150
    assert all(isinstance(r, AIMessage) and r.content for r in replies)
    served, rejected = served_and_rejected(limited)
    assert served == 150
    assert rejected <= 64  # at most the first burst, sent before any reply told the limit


def test_embed_documents_at_the_limit_loses_nothing(limited: Emulator) -> None:
    embeddings = NebiusEmbeddings(base_url=limited.base_url, api_key=limited.api_key)
    texts = [f"note {i} about the harbour tides at dawn" for i in range(2000)]
    vectors = embeddings.embed_documents(texts)
    assert len(vectors) == 2000
    assert vectors[1234] == embeddings.embed_query(texts[1234])
    served, rejected = served_and_rejected(limited)
    assert served >= 2000 // 128 + 1 and rejected <= 4


def test_pacing_settings_reach_the_core(limited: Emulator) -> None:
    conn = {"base_url": limited.base_url, "api_key": limited.api_key}
    off = ChatNebius(model=CHAT, pacing=False, **conn)
    capped = ChatNebius(model=CHAT, pacing=Pacing(max_requests_per_minute=30), **conn)
    assert off._get_client()._pacer.enabled is False
    assert capped._get_async_client()._pacer.caps == Pacing(max_requests_per_minute=30)
    assert ChatNebius(model=CHAT, **conn)._get_client()._pacer.enabled is True
