"""Fixtures for tests that talk to the emulator over HTTP."""

from __future__ import annotations

from sdk_fixtures import async_client, client, emu  # noqa: F401 (fixtures)

from nebius_inference.testing.pytest_plugin import (  # noqa: F401 (fixtures)
    nebius_emulator,
    nebius_emulator_clean,
    nebius_emulator_config,
)
