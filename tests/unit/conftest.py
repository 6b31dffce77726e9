"""Fixtures for the core's unit tests: mock transports, no sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from mock_api import Handler, Recorder

from nebius_inference import _retry


@pytest.fixture(autouse=True)
def no_sleep() -> Iterator[None]:
    _retry.set_testing(True)
    yield
    _retry.set_testing(False)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "NEBIUS_API_KEY",
        "NEBIUS_BASE_URL",
        "NEBIUS_API_BASE",
        "NEBIUS_AI_PROJECT_ID",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def recorder() -> Callable[[Handler], Recorder]:
    return Recorder
