"""Fixtures for the LangChain integration tests: the session emulator, reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nebius_inference import _retry
from nebius_inference.testing import Emulator


@pytest.fixture(autouse=True)
def _no_retry_sleep() -> Iterator[None]:
    _retry.set_testing(True)
    yield
    _retry.set_testing(False)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "NEBIUS_API_KEY",
        "NEBIUS_BASE_URL",
        "NEBIUS_API_BASE",
        "NEBIUS_AI_PROJECT_ID",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "LC_OUTPUT_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emu(nebius_emulator_clean: Emulator) -> Emulator:
    """The session emulator with an empty request log and no pending faults."""
    return nebius_emulator_clean


@pytest.fixture
def conn(emu: Emulator) -> dict[str, Any]:
    """Constructor arguments that point any Nebius class at the emulator."""
    return {"base_url": emu.base_url, "api_key": emu.api_key}
