"""Fixtures for the LangChain integration tests: the session emulator, reset per test."""

from __future__ import annotations

from typing import Any

import pytest

from nebius_inference.testing import Emulator


@pytest.fixture
def emu(nebius_emulator_clean: Emulator) -> Emulator:
    """The session emulator with an empty request log and no pending faults."""
    return nebius_emulator_clean


@pytest.fixture
def conn(emu: Emulator) -> dict[str, Any]:
    """Constructor arguments that point any Nebius class at the emulator."""
    return {"base_url": emu.base_url, "api_key": emu.api_key}
