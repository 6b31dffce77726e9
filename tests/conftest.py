"""Shared test configuration.

The emulator's pytest plugin serves the API on 127.0.0.1. Every test starts from a clean
environment (no Nebius or OpenAI settings leak in from the machine, and no proxy stands
between the clients and the emulator) and with retry sleeping
switched off, so no test waits on the wall clock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from nebius_inference import _retry

pytest_plugins = ["nebius_inference.testing.pytest_plugin"]

ENV_NAMES = (
    "NEBIUS_API_KEY",
    "NEBIUS_BASE_URL",
    "NEBIUS_API_BASE",
    "NEBIUS_AI_PROJECT_ID",
    "NEBIUS_LOG",
    "NEBIUS_ALLOW_INSECURE_HTTP",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "LC_OUTPUT_VERSION",
)


@pytest.fixture(autouse=True)
def _no_retry_sleep() -> Iterator[None]:
    _retry.set_testing(True)
    yield
    _retry.set_testing(False)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    # The clients honour the machine's proxy settings; the emulator is always reached directly.
    loopback = "127.0.0.1,localhost"
    for name in ("NO_PROXY", "no_proxy"):
        current = os.environ.get(name)
        monkeypatch.setenv(name, f"{current},{loopback}" if current else loopback)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--live",
        action="store_true",
        help="also run the tests marked live, against the real Nebius API (needs NEBIUS_API_KEY)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Collection runs before any fixture cleans the environment.
    if config.getoption("--live") and os.environ.get("NEBIUS_API_KEY"):
        return
    reason = (
        "talks to the real Nebius API: run with --live and NEBIUS_API_KEY set"
        if not config.getoption("--live")
        else "--live was given but NEBIUS_API_KEY is not set"
    )
    for item in items:
        if "live" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))
