"""pytest fixtures serving the emulator.

Enable in the top-level ``conftest.py``::

    pytest_plugins = ["nebius_inference.testing.pytest_plugin"]

Fixtures:

``nebius_emulator_config`` (session)
    The :class:`EmulatorConfig` of the session emulator; override it to change settings.
``nebius_emulator`` (session)
    A running :class:`Emulator`.
``nebius_emulator_clean`` (function)
    The session emulator with its request log, injected faults and fault counters reset.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._config import EmulatorConfig
from ._server import Emulator

__all__ = ["nebius_emulator", "nebius_emulator_clean", "nebius_emulator_config"]


@pytest.fixture(scope="session")
def nebius_emulator_config() -> EmulatorConfig:
    """The configuration of the session emulator (override to customise)."""
    return EmulatorConfig()


@pytest.fixture(scope="session")
def nebius_emulator(nebius_emulator_config: EmulatorConfig) -> Iterator[Emulator]:
    """A running emulator shared by the whole test session."""
    with Emulator(nebius_emulator_config) as emulator:
        yield emulator


@pytest.fixture
def nebius_emulator_clean(nebius_emulator: Emulator) -> Iterator[Emulator]:
    """The session emulator with a fresh request log and no pending faults."""
    nebius_emulator.reset()
    yield nebius_emulator
    nebius_emulator.reset()
