"""Fixtures for tests that talk to the emulator over HTTP: the shared emulator, reset per test,
and the official OpenAI SDK pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import openai
import pytest

from nebius_inference.testing import Emulator


@pytest.fixture
def emu(nebius_emulator_clean: Emulator) -> Emulator:
    """The shared emulator, with a fresh request log and no pending faults."""
    return nebius_emulator_clean


@pytest.fixture
def client(emu: Emulator) -> Iterator[openai.OpenAI]:
    """The official OpenAI SDK pointed at the emulator (no retries unless a test asks)."""
    with openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0, timeout=10) as c:
        yield c


@pytest.fixture
async def async_client(emu: Emulator) -> AsyncIterator[openai.AsyncOpenAI]:
    """The asynchronous OpenAI SDK pointed at the emulator."""
    async with openai.AsyncOpenAI(
        base_url=emu.base_url, api_key=emu.api_key, max_retries=0, timeout=10
    ) as c:
        yield c
