"""LlamaIndex classes inherit the core's pacing: a job at the rate limit loses nothing."""

from __future__ import annotations

import asyncio
import faulthandler
import sys
from collections.abc import Iterator

import pytest
from llama_index.core.llms import ChatMessage

from llama_index_nebius import NebiusEmbedding, NebiusLLM
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


def test_embedding_batches_at_the_limit_lose_nothing(limited: Emulator) -> None:
    model = NebiusEmbedding(base_url=limited.base_url, api_key=limited.api_key)
    texts = [f"note {i} about the harbour tides at dawn" for i in range(1500)]
    vectors = model.get_text_embedding_batch(texts)
    assert len(vectors) == 1500
    assert vectors[777] == model.get_text_embedding(texts[777])
    served, rejected = served_and_rejected(limited)
    assert served > 1500 // 128 and rejected <= 4


def test_concurrent_achat_at_the_limit(limited: Emulator) -> None:
    llm = NebiusLLM(model=CHAT, max_tokens=8, base_url=limited.base_url, api_key=limited.api_key)

    async def run() -> list[str]:
        replies = await asyncio.gather(
            *(llm.achat([ChatMessage(role="user", content=f"Say {i}")]) for i in range(120))
        )
        return [r.message.content or "" for r in replies]

    texts = asyncio.run(run())
    assert len(texts) == 120 and all(texts)
    served, rejected = served_and_rejected(limited)
    assert served == 120 and rejected <= 120 - 20  # only the first burst, before any reply


def test_pacing_settings_reach_the_core(limited: Emulator) -> None:
    conn = {"base_url": limited.base_url, "api_key": limited.api_key}
    assert NebiusLLM(model=CHAT, pacing=False, **conn).client._pacer.enabled is False
    capped = NebiusEmbedding(pacing=Pacing(max_tokens_per_minute=1000), **conn)
    assert capped.async_client._pacer.caps == Pacing(max_tokens_per_minute=1000)
