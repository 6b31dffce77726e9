"""Fixtures for the core's integration tests: real sockets, the emulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nebius_inference import AsyncNebiusClient, NebiusClient
from nebius_inference.testing import Emulator


@pytest.fixture
def emu(nebius_emulator_clean: Emulator) -> Emulator:
    return nebius_emulator_clean


@pytest.fixture
def client(emu: Emulator) -> Iterator[NebiusClient]:
    with NebiusClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        yield client


@pytest.fixture
async def aclient(emu: Emulator) -> AsyncNebiusClient:
    client = AsyncNebiusClient(api_key=emu.api_key, base_url=emu.base_url)
    yield client  # type: ignore[misc]
    await client.aclose()
