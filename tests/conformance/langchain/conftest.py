"""Fixtures for the LangChain standard suites: a clean environment, no retry sleeping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nebius_inference import _retry


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
